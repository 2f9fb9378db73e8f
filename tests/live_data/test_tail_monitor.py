"""``ringbus tail`` as a monitor, run as real processes: it ends at RUN_ENDED unless --follow,
and ``--state`` prints a rolling summary whose hash is the live run's state hash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from journal import JournalWriter
from journal.reader import JournalReader
from journal.store import Journal
from replay.rebuild import rebuild

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "replay" / "demo_data" / "eurusd-histdata-20200101.csv.gz"


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory):
    from replay.backtest import BacktestNode
    from replay.config import BacktestConfig, DataConfig, StrategyConfig

    config = BacktestConfig(data=[DataConfig(str(DEMO), instrument_id="EUR/USD.SIM")],
                            strategies=[StrategyConfig("ema_cross", {"fast": 5, "slow": 20})],
                            journal=str(tmp_path_factory.mktemp("tail") / "j"))
    return BacktestNode(config).run()


def _tail(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "replay.cli", "tail", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=ROOT)


def _records(path: str):
    with Journal.open(path, readonly=True) as journal:
        return JournalReader(journal).records_between(1)


def test_tail_ends_at_run_ended_unless_follow(finished):
    proc = _tail("--json", "--from-seq", str(finished.last_seq - 3), finished.journal)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["seq"] for x in lines] == list(range(finished.last_seq - 3, finished.last_seq + 1))
    assert lines[-1]["kind_name"] == "RUN_ENDED"
    follower = _tail("--follow", "--from-seq", str(finished.last_seq), finished.journal)
    try:
        assert "RUN_ENDED" in follower.stdout.readline()
        time.sleep(0.5)
        assert follower.poll() is None  # still following for the next run
    finally:
        follower.terminate()
        assert follower.wait(timeout=30) == 0


def test_state_of_a_finished_run_prints_its_final_state_and_ends(finished):
    proc = _tail("--state", "--json", finished.journal)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    (report,) = [json.loads(x) for x in out.splitlines()]
    assert report["seq"] == finished.last_seq
    assert report["state_hash"] == f"{finished.state_hash:016x}"
    refused = _tail("--state", "--from-seq", "3", finished.journal)
    assert refused.wait(timeout=60) == 2 and "no --from-seq" in refused.stderr.read()


def test_state_rolls_with_each_commit_of_a_live_writer(finished, tmp_path):
    recs = _records(finished.journal)
    path = tmp_path / "live"
    cuts = [len(recs) // 2, len(recs) * 3 // 4, len(recs) - 1, len(recs)]
    with JournalWriter(path, "sync") as writer:
        writer.on_batch(recs[:cuts[0]])
        writer.flush()
        proc = _tail("--state", "--json", str(path))
        try:
            first = json.loads(proc.stdout.readline())  # the state where it started
            assert first["seq"] == cuts[0]
            for a, b in zip(cuts, cuts[1:], strict=False):
                writer.on_batch(recs[a:b])
                writer.flush()
                time.sleep(0.2)
            out, err = proc.communicate(timeout=60)  # ends by itself at RUN_ENDED
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, err
    reports = [first] + [json.loads(x) for x in out.splitlines()]
    seqs = [r["seq"] for r in reports]
    assert seqs == sorted(set(seqs)) and set(cuts) <= set(seqs)  # one per stored batch
    assert reports[-1]["seq"] == len(recs)
    assert reports[-1]["state_hash"] == f"{finished.state_hash:016x}"  # the live kernel's
    with Journal.open(finished.journal, readonly=True) as journal:
        for r in reports[:-1:max(1, len(reports) // 4)]:
            want = rebuild(journal, r["seq"], use_snapshots=False).kernel.state_hash()
            assert r["state_hash"] == f"{want:016x}"
