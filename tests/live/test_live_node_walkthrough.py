"""examples/live/node_walkthrough.py runs ``ringbus live`` against ordermatch as documented."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_live_node_walkthrough_trades_a_round_trip_and_reexecutes(ordermatch, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "live" / "node_walkthrough.py"),
         str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.startswith(f"READY {tmp_path / 'live'}")
    assert "ended CLEAN" in out
    assert "ORDER_FILLED x2, POSITION_CLOSED x1, RUN_ENDED x1" in out
    assert "regenerated all" in out  # verify --reexecute: no divergence
    assert "realized_pnl=1.00 USD" in out  # bought 10 at 99.95, sold at 100.05


def test_ringbus_live_names_a_bad_quote_line_and_exits_1(ordermatch, tmp_path):
    from tests.live.live_rig import PASSWORD, PASSWORD_ENV, live_raw, write_toml

    config = write_toml(live_raw(ordermatch.port, tmp_path / "live", [
        {"at": 5, "do": "limit", "side": "BUY", "qty": "1", "price": "1.00"}]),
        tmp_path / "live.toml")
    env = dict(os.environ, PYTHONPATH=str(ROOT), **{PASSWORD_ENV: PASSWORD})
    result = subprocess.run(
        [sys.executable, "-m", "replay.cli", "live", "--config", str(config), "--quotes-stdin"],
        input="MSFT.ORDERMATCH 9.99 10.00\nMSFT.ORDERMATCH 9.99 ten\n", cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "stdin line 2: ask 'ten' is not a number" in result.stderr
    assert "ended CLEAN" in result.stdout  # the node still stops cleanly
