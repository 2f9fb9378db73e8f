"""``ringbus standby`` refuses a bad sandbox or live config or heartbeat timeout at start (not
at the takeover), and the takeover election lock admits one holder."""

from __future__ import annotations

import subprocess
import sys

from replay.nodes.standby import TakeoverLock
from tests.live_data.conftest import ROOT, ringbus_process


def test_bad_config_exits_2_before_following(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[strategies]]\nname = "noop"\n')
    out = ringbus_process("standby", str(tmp_path / "j"), "--config", str(bad), timeout=60)
    assert out.returncode == 2 and "no [binance] table" in out.stderr


def test_takeover_lock_admits_one_process(tmp_path):
    mine = TakeoverLock(tmp_path)
    assert mine.acquire()
    probe = ("import sys; from replay.nodes.standby import TakeoverLock; "
             f"sys.exit(0 if TakeoverLock({str(tmp_path)!r}).acquire() else 3)")
    other = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, timeout=60)
    assert other.returncode == 3
    mine.release()
    assert subprocess.run([sys.executable, "-c", probe], cwd=ROOT, timeout=60).returncode == 0


def test_a_bad_live_config_exits_2_before_following(tmp_path):
    bad = tmp_path / "live.toml"
    bad.write_text('[fix]\nvenue = "X"\n[[strategies]]\nname = "noop"\n')
    out = ringbus_process("standby", str(tmp_path / "j"), "--config", str(bad), timeout=60)
    assert out.returncode == 2 and "fix.host is required" in out.stderr


def test_a_bad_heartbeat_timeout_exits_2(tmp_path):
    good = tmp_path / "sandbox.toml"
    good.write_text('[binance]\n[[binance.symbols]]\nsymbol = "BTCUSDT"\nprice_precision = 1\n'
                    'size_precision = 3\n[[strategies]]\nname = "noop"\n')
    out = ringbus_process("standby", str(tmp_path / "j"), "--config", str(good),
                          "--heartbeat-timeout", "0", timeout=60)
    assert out.returncode == 2 and "heartbeat_timeout must be > 0" in out.stderr
