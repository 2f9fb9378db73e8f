"""``ringbus backtest`` and ``ringbus demo`` as a user runs them (subprocesses, fresh cwd)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JSON_KEYS = {"journal", "last_seq", "n_records", "n_orders", "n_fills", "n_positions",
             "realized_pnl", "commissions", "final_balances", "state_hash", "wall_s",
             "records_per_s"}


def ringbus(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("ringbus")
    cmd = [exe, *args] if exe else [sys.executable, "-m", "replay.cli", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_noop_over_the_es_mbo_file_runs_with_nothing_else(tmp_path: Path,
                                                          shared_data: Path) -> None:
    out = ringbus("backtest", "--strategy", "noop", "--data",
                  str(shared_data / "esh4-glbx-mdp3-20231225.mbo.dbn.zst"), "--json",
                  cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) >= JSON_KEYS
    assert doc["n_records"] > 68_792 and doc["n_orders"] == 0
    assert doc["final_balances"] == {"GLBX-001": {"USD": "1000000.00"}}
    journal = tmp_path / doc["journal"]
    assert journal.parent == tmp_path / "runs" and (journal / "report" / "summary.json").is_file()


def test_ema_cross_over_the_quotes_csv_prints_the_report(tmp_path: Path,
                                                         shared_data: Path) -> None:
    data = tmp_path / "eurusd-quote_tick_data.csv"  # the name identifies the instrument
    data.write_bytes((shared_data / "quote_tick_data.csv").read_bytes())
    out = ringbus("backtest", "--strategy", "ema_cross", "--data",
                  str(data), "--param", "trade_size=50000",
                  "--balance", "250000USD", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    for label in ("total PnL", "Sharpe", "max drawdown", "orders", "fills", "positions",
                  "commissions", "records/s", "state hash"):
        assert label in out.stdout
    assert "EUR/USD.SIM" in out.stdout and "inferred" in out.stderr
    again = ringbus("backtest", "--strategy", "ema_cross", "--data",
                    str(data), "--param", "trade_size=50000",
                    "--balance", "250000USD", "--json", cwd=tmp_path)
    doc = json.loads(again.stdout)
    assert doc["journal"].endswith("-2")  # a new folder, never an existing journal
    assert doc["final_balances"]["SIM-001"]["USD"] != "250000.00"


def test_unknown_strategy_is_a_usage_error(tmp_path: Path, shared_data: Path) -> None:
    out = ringbus("backtest", "--strategy", "nope", "--data",
                  str(shared_data / "quote_tick_data.csv"), "--instrument", "EUR/USD.SIM",
                  cwd=tmp_path)
    assert out.returncode == 2 and "not a built-in" in out.stderr


@pytest.mark.parametrize("entry", ["module", "cli"])
def test_demo_runs_reports_and_reproduces_its_state_by_replay(tmp_path: Path, entry: str) -> None:
    from replay.cli import COMMANDS

    if entry == "cli" and "demo" not in COMMANDS:
        pytest.skip("the 'demo' subcommand is not registered in replay.cli.COMMANDS yet")
    args = ["demo", "--quiet"]
    out = ringbus(*args, cwd=tmp_path) if entry == "cli" else subprocess.run(
        [sys.executable, "-m", "replay.commands.demo", "--quiet"], cwd=tmp_path,
        capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "journal verify     CLEAN" in out.stdout
    assert "OK: the replay of the journal reproduces the run's state exactly" in out.stdout
    assert len(list((tmp_path / "runs").glob("demo-*"))) == 1


def test_the_same_command_after_the_run_completed_succeeds_with_its_report(
        tmp_path: Path, shared_data: Path) -> None:
    """Crash-only: a kill that lands after the report was written, or a plain repeat, is
    answered by the same command: the journal's completed run and its report are taken as
    they are (nothing appended, nothing rewritten). A report directory that is not this run's
    is never overwritten."""
    data = tmp_path / "eurusd-quote_tick_data.csv"
    data.write_bytes((shared_data / "quote_tick_data.csv").read_bytes())
    args = ("backtest", "--strategy", "ema_cross", "--data", str(data), "--journal", "j",
            "--json")
    first = ringbus(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    summary = tmp_path / "j" / "report" / "summary.json"
    written = summary.read_bytes()
    again = ringbus(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "results rebuilt" in again.stderr
    a, b = json.loads(first.stdout), json.loads(again.stdout)
    assert (a["run_id"], a["last_seq"], a["state_hash"]) == \
        (b["run_id"], b["last_seq"], b["state_hash"])
    assert summary.read_bytes() == written
    doc = json.loads(written)
    doc["state_hash"] = "0" * 16  # a report of something else
    summary.write_text(json.dumps(doc))
    other = ringbus(*args, cwd=tmp_path)
    assert other.returncode == 2 and "report directory already exists" in other.stderr
    assert json.loads(summary.read_text())["state_hash"] == "0" * 16
