"""`ringbus backtest --data-option` passes loader options to every --data file."""

from __future__ import annotations

import json
import subprocess
import sys


def _backtest(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "replay.cli", "backtest", "--strategy", "noop",
                           "--quiet", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_bars_with_float_noise_volumes_need_and_accept_rounding_options(tmp_path, shared_data):
    path = str(shared_data / "btc-perp-20211231-20220201_1m.csv")
    refused = _backtest("--data", path, "--instrument", "BTC.SIM", cwd=tmp_path)
    assert refused.returncode == 2
    assert ":13880: field 'volume'" in refused.stderr
    assert "--data-option size_precision=7 --data-option round_volume=true" in refused.stderr
    done = _backtest("--data", path, "--instrument", "BTC.SIM", "--data-option",
                     "size_precision=7", "--data-option", "round_volume=true", "--json",
                     cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["n_records"] > 45_031
