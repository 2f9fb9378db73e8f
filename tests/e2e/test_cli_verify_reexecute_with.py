"""`ringbus verify --reexecute --strategy ... --out DIR` re-runs a journal's inputs with other code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INCIDENT = ROOT / "examples" / "incident"
PARAMS = ["period=50", "threshold=0.00005", "trade_size=100000", "max_position=200000",
          "cooldown=20"]


def _ringbus(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    # the checkout under test first: an installed copy of ringbus elsewhere must not answer
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), str(INCIDENT)]), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "replay.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def _params() -> list[str]:
    return [arg for p in PARAMS for arg in ("--param", p)]


def test_fixed_code_re_executes_the_original_inputs_into_a_new_journal_that_diff_compares(
    tmp_path: Path,
):
    demo = ROOT / "replay" / "demo_data" / "eurusd-histdata-20200101.csv.gz"
    run = _ringbus("backtest", "--strategy", "incident_strategy_buggy:MeanReverter", *_params(),
                   "--data", str(demo), "--instrument", "EUR/USD.SIM", "--journal", "bad",
                   "--quiet", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    same = _ringbus("verify", "bad", "--reexecute", "--trust-journal-code", cwd=tmp_path)
    assert same.returncode == 0, same.stderr
    fixed = _ringbus("verify", "bad", "--reexecute", "--strategy",
                     "incident_strategy_fixed:MeanReverter", *_params(), "--out", "fixed",
                     cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    diff = _ringbus("diff", "bad", "fixed", cwd=tmp_path)
    assert diff.returncode == 1
    assert "first divergent seq" in diff.stdout


def test_strategy_and_out_without_reexecute_are_a_usage_error(tmp_path: Path):
    result = _ringbus("verify", "nowhere", "--out", "x", cwd=tmp_path)
    assert result.returncode == 2
    assert "--strategy, --param, --out and --trust-journal-code go with --reexecute" in result.stderr
