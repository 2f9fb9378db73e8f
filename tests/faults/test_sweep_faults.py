"""Sweep faults: a worker SIGKILLed mid-point (retried, its journal recovered, every journal
verifies CLEAN), a strategy that raises (a FAULTED row, the sweep goes on), and resuming."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from domain.kinds import Kind
from journal.reader import JournalReader
from journal.runs import run_markers
from journal.store import Journal
from journal.verify import verify_journal
from replay.config import BacktestConfig, DataConfig
from replay.sweep import SweepSpec, run_sweep
from tests.sweep_support import quotes_slice

STRATEGIES = "tests.sweep_support"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    return quotes_slice(shared_data, 3000, tmp_path_factory.mktemp("data"))


def kinds(journal: Path) -> set[int]:
    with Journal.open(journal) as j:
        return {int(k) for k in run_markers(j)["kind"]}


def test_a_strategy_that_raises_is_a_faulted_row_and_the_sweep_goes_on(
        data: Path, tmp_path: Path) -> None:
    spec = SweepSpec(BacktestConfig(data=[DataConfig(str(data))]), f"{STRATEGIES}:RaiseAt",
                     {"fail": (False, True), "fast": (5, 10)}, {"slow": 40, "at": 700})
    result = run_sweep(spec, tmp_path / "out", workers=0)
    assert [r["status"] for r in result.rows] == ["CLEAN", "CLEAN", "FAULTED", "FAULTED"]
    bad = result.rows[2]
    assert bad["error"] == "RuntimeError: strategy bug at quote 700"
    assert bad["sharpe"] is None and bad["n_fills"] is None
    journal = result.out / bad["journal"]
    # a strategy's exception ends the run FAULTED, its text journaled before RUN_ENDED
    assert verify_journal(journal).status.value == "CLEAN"
    assert Kind.RUN_ENDED in kinds(journal)
    assert result.best(2)[0]["status"] == "CLEAN"
    again = run_sweep(spec, tmp_path / "out", workers=0)
    assert again.how == {"skipped": 4} and again.rows == result.rows


def test_a_rerun_skips_completed_points_and_runs_only_the_missing_ones(
        data: Path, tmp_path: Path) -> None:
    base = BacktestConfig(data=[DataConfig(str(data))])
    first = run_sweep(SweepSpec(base, "ema_cross", {"fast": (5, 10)}, {"slow": 40}),
                      tmp_path / "out", workers=0)
    journal = first.out / first.rows[0]["journal"]
    stamp = (journal / "data.mdb").stat().st_mtime_ns
    grown = run_sweep(SweepSpec(base, "ema_cross", {"fast": (5, 10, 20)}, {"slow": 40}),
                      tmp_path / "out", workers=0)
    assert grown.how == {"skipped": 2, "ran": 1}
    assert grown.rows[:2] == first.rows
    assert (journal / "data.mdb").stat().st_mtime_ns == stamp  # not reopened for writing
    (first.out / "points" / f"{first.rows[1]['run_id']}.json").unlink()
    rebuilt = run_sweep(SweepSpec(base, "ema_cross", {"fast": (10,)}, {"slow": 40}),
                        tmp_path / "out", workers=0)
    assert rebuilt.how == {"skipped": 1}
    assert {k: v for k, v in rebuilt.rows[0].items() if k != "point"} == \
        {k: v for k, v in first.rows[1].items() if k != "point"}


def test_a_worker_sigkilled_mid_point_is_retried_and_its_journal_recovered(
        data: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from replay.dist import open_client

    marker = tmp_path / "blocked.pid"
    # durability none commits in runs of 16 k records; a snapshot every 2 000 commits too, so
    # the killed point has a journaled prefix (and a snapshot) to recover from
    base = BacktestConfig(data=[DataConfig(str(data))], snapshot_every=2000)
    spec = SweepSpec(base, f"{STRATEGIES}:BlockOnce", {"fast": (5, 10), "slow": (40, 80)},
                     {"marker": str(marker), "at": 2000})
    outcome: dict = {}
    with open_client(workers=2) as client:
        def sweep() -> None:
            try:
                outcome["result"] = run_sweep(spec, tmp_path / "out", client=client)
            except BaseException as exc:  # reported by the assertion below
                outcome["error"] = exc

        thread = threading.Thread(target=sweep, daemon=True)
        thread.start()
        deadline = time.monotonic() + 120
        while not (marker.is_file() and marker.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        pid = int(marker.read_text())
        assert pid in client.run(os.getpid).values()
        os.kill(pid, signal.SIGKILL)
        thread.join(timeout=240)
    assert not thread.is_alive() and "error" not in outcome, outcome
    result = outcome["result"]
    assert [r["status"] for r in result.rows] == ["CLEAN"] * 4
    assert result.how.get("recovered") == 1, result.how
    recovered = [p for p in (result.out / "journals").iterdir()
                 if Kind.RUN_RECOVERED in kinds(p)]
    assert len(recovered) == 1
    assert sorted(p.name for p in (result.out / "journals").iterdir()) == \
        sorted(r["run_id"] for r in result.rows)  # one journal per point: no duplicate
    for row in result.rows:
        path = result.out / row["journal"]
        assert verify_journal(path).status.value == "CLEAN", row
        with Journal.open(path) as j:
            assert JournalReader(j).last_seq() == row["last_seq"]
    alone = run_sweep(spec, tmp_path / "alone", workers=0)  # the marker exists: no wait
    assert [r["state_hash"] for r in alone.rows] == [r["state_hash"] for r in result.rows]
