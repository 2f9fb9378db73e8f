"""Run-ending faults of the node (issue 18): SIGINT ends the run INTERRUPTED and the same command
resumes it; a strategy's exception ends it FAULTED with the text in the journal and the report;
a kill after RUN_ENDED leaves a report the same command finishes. Real subprocesses, real
signals."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from domain.codec import as_kind
from domain.enums import RunEndReason
from domain.kinds import Kind
from journal.reader import JournalReader
from journal.store import Journal
from replay.reexecute import reexecute
from tests.faults.crash_recovery_proc import ROOT, content, last_seq

BOOM = '''
from engines.strategies.ema_cross import EmaCross


class Boom(EmaCross):
    """ema_cross that raises on its 300th quote."""

    def on_quote(self, quote):
        if self.count == 299:
            raise RuntimeError("boom at quote 300")
        super().on_quote(quote)
'''


def cli(args: list[str], cwd: Path, **kw) -> subprocess.Popen[str]:
    exe = shutil.which("ringbus")
    head = [exe] if exe else [sys.executable, "-m", "replay.cli"]
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{cwd}"}
    return subprocess.Popen([*head, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=cwd, **kw)


def data_file(root: Path, shared_data: Path, rows: int) -> Path:
    lines = (shared_data / "quote_tick_data.csv").read_text().splitlines()[:rows]
    path = root / "eurusd-quotes.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def tail_records(journal: Path, n: int) -> np.ndarray:
    with Journal.open(journal) as j:
        reader = JournalReader(j)
        last = reader.last_seq()
        return reader.records_between(last - n + 1, last)


def test_a_strategy_exception_ends_the_run_faulted_with_its_text(tmp_path, shared_data):
    (tmp_path / "boom_strategy.py").write_text(BOOM)
    data = data_file(tmp_path, shared_data, 1500)
    proc = cli(["backtest", "--strategy", "boom_strategy:Boom", "--data", str(data),
                "--instrument", "EUR/USD.SIM", "--journal", "j", "--quiet"], tmp_path)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    assert "Traceback" not in err and "RuntimeError: boom at quote 300" in err
    note, ended = tail_records(tmp_path / "j", 2)
    assert int(note["kind"]) == Kind.STRING
    text = bytes(as_kind(note[None], Kind.STRING)["text"][0]).rstrip(b"\0").decode()
    assert text == "fault: RuntimeError: boom at quote 300"
    end = as_kind(ended[None], Kind.RUN_ENDED)[0]
    assert int(end["reason"]) == RunEndReason.FAULTED
    summary = json.loads((tmp_path / "j" / "report" / "summary.json").read_text())
    assert summary["end_reason"] == "FAULTED"
    assert summary["fault"] == "RuntimeError: boom at quote 300"
    sys.path.insert(0, str(tmp_path))
    try:  # the fault recurs on re-execution: the same records, FAULTED end included
        outcome = reexecute(tmp_path / "j", trust_code=True)  # the test wrote that code
    finally:
        sys.path.remove(str(tmp_path))
    assert outcome.ok, outcome.format()
    assert outcome.n_records == int(ended["seq"])


def _interrupt(tmp_path: Path, args: list[str], journal: Path, at_seq: int) -> tuple[int, str]:
    proc = cli(args, tmp_path)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline and last_seq(journal) < at_seq:
        time.sleep(0.002)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    return proc.returncode, err


def test_sigint_ends_the_run_interrupted_and_the_same_command_resumes_it(tmp_path, shared_data):
    data = data_file(tmp_path, shared_data, 3000)
    base = ["backtest", "--strategy", "ema_cross", "--param", "fast=5", "--param", "slow=20",
            "--data", str(data), "--instrument", "EUR/USD.SIM", "--durability", "sync",
            "--snapshot-every", "500", "--quiet", "--json"]
    ref = cli([*base, "--journal", "ref"], tmp_path)
    out, err = ref.communicate(timeout=300)
    assert ref.returncode == 0, err
    want = json.loads(out)
    for attempt, at in enumerate((want["last_seq"] // 3, want["last_seq"] // 6, 200)):
        journal = tmp_path / f"int-{attempt}"
        code, err = _interrupt(tmp_path, [*base, "--journal", journal.name], journal, at)
        if code == 130:
            break
        assert code == 0, err  # the run finished before the signal landed: try earlier
    else:
        pytest.fail("every SIGINT landed after the run's end: none was tested")
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "run the same command to resume" in err
    end = as_kind(tail_records(journal, 1), Kind.RUN_ENDED)[0]
    assert int(end["reason"]) == RunEndReason.INTERRUPTED
    again = cli([*base, "--journal", journal.name], tmp_path)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    got = json.loads(out)
    assert got["state_hash"] == want["state_hash"]
    assert np.array_equal(content(journal).view(np.uint8),
                          content(tmp_path / "ref").view(np.uint8))
    outcome = reexecute(journal)  # the lineage, interruption included, re-executes
    assert outcome.ok, outcome.format()


def test_a_rerun_after_a_kill_past_run_ended_finishes_the_report(tmp_path, shared_data):
    data = data_file(tmp_path, shared_data, 1500)
    args = ["backtest", "--strategy", "ema_cross", "--data", str(data), "--instrument",
            "EUR/USD.SIM", "--journal", "j", "--durability", "sync", "--quiet", "--json"]
    ref = cli(args, tmp_path)
    out, err = ref.communicate(timeout=300)
    assert ref.returncode == 0, err
    want = json.loads(out)
    # A writer SIGKILLed after RUN_ENDED, mid-report: its temporary report directory stays.
    victim = subprocess.Popen(["sleep", "60"])
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    report = tmp_path / "j" / "report"
    shutil.rmtree(report)
    stale = tmp_path / "j" / f".report.tmp-{victim.pid}"
    stale.mkdir()
    (stale / "summary.json").write_text("{")
    again = cli(args, tmp_path)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    got = json.loads(out)
    assert not stale.exists()
    summary = json.loads((report / "summary.json").read_text())
    for key in ("last_seq", "n_records", "state_hash", "n_orders", "n_fills", "realized_pnl",
                "final_balances", "commissions"):
        assert got[key] == want[key] == summary[key], key
    assert last_seq(tmp_path / "j") == want["last_seq"]  # nothing appended
    assert (report / "equity.csv").is_file() and (report / "fills.csv").is_file()
