"""A backtest in ``sync`` durability with ``snapshot_every = 500``, killed with SIGKILL at random
moments and restarted with the same command, recovers, continues from the next input it had not
journaled, and ends with the state hash and the records (apart from run-lifecycle ones) of an
uninterrupted run: for ema_cross and the README's Momentum (examples/momentum.py). A kill that
lands after the run's end tests nothing: the trial says so and kills again, earlier."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from journal.runs import RunEndState, scan_runs
from journal.store import Journal
from journal.verify import VerifyStatus, verify_journal
from tests.faults.crash_recovery_proc import (
    STRATEGIES,
    content,
    finish,
    kill_at_random,
    last_seq,
    make_workload,
    start,
)


@pytest.fixture(scope="module", params=sorted(STRATEGIES))
def workload(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
             shared_data: Path) -> dict[str, Any]:
    root = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    workdir = Path(tmp_path_factory.mktemp("crash")) if root is None else \
        Path(__import__("tempfile").mkdtemp(prefix="ringbus-crash-", dir=root))
    config = make_workload(workdir, shared_data, strategy=request.param)
    ref = workdir / "reference"
    import time

    t0 = time.monotonic()
    code, doc, err = finish(start(config, ref))
    wall = time.monotonic() - t0
    assert code == 0, err
    assert doc["n_fills"] > 0, "the strategy must trade for the trials to bite"
    yield {"workdir": workdir, "config": config, "ref": ref, "doc": doc, "wall": wall,
           "content": content(ref)}
    if root is not None:
        shutil.rmtree(workdir, ignore_errors=True)


def trial(workload: dict[str, Any], seed: int) -> None:
    journal = workload["workdir"] / f"trial-{seed}"
    ref_doc = workload["doc"]
    for attempt in range(4):
        shutil.rmtree(journal, ignore_errors=True)
        # retries kill at a seq (even seeds), earlier each time
        s = seed if attempt == 0 else 2 * (seed + 1000 * attempt)
        code, killed_at = kill_at_random(workload["config"], journal, s,
                                         ref_doc["last_seq"] >> attempt, workload["wall"])
        if code != 0 and not _completed(journal):
            break
        print(f"seed {seed}: the kill landed after the run's end (rc {code}, seq {killed_at}); "
              "killing again, earlier")
    else:
        pytest.fail(f"seed {seed}: every kill landed after the run's end: nothing was tested")
    code, doc, err = finish(start(workload["config"], journal))
    assert code == 0, f"restart after a kill at seq {killed_at}: {err}"
    assert doc["state_hash"] == ref_doc["state_hash"]
    last = last_seq(journal)
    assert doc["last_seq"] == last and doc["n_records"] == last  # the whole journal
    for key in ("n_orders", "n_fills", "n_positions", "realized_pnl", "final_balances"):
        assert doc[key] == ref_doc[key], key
    got, want = content(journal), workload["content"]
    assert len(got) == len(want) and np.array_equal(got.view(np.uint8), want.view(np.uint8)), \
        f"records differ from the uninterrupted run after a kill at seq {killed_at}"
    result = verify_journal(journal)
    assert result.status == VerifyStatus.CLEAN, result
    with Journal.open(journal) as j:
        runs = scan_runs(j)
    assert runs[-1].end_state == RunEndState.CLEAN
    assert all(r.end_state == RunEndState.RECOVERED for r in runs[:-1])


def _completed(journal: Path) -> bool:
    if last_seq(journal) == 0:
        return False
    with Journal.open(journal) as j:
        runs = scan_runs(j)
    return bool(runs) and runs[-1].end_state == RunEndState.CLEAN


@pytest.mark.parametrize("seed", [0, 1])
def test_a_killed_backtest_restarted_with_the_same_command_matches_an_uninterrupted_run(
        workload: dict[str, Any], seed: int) -> None:
    trial(workload, seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3, 27))
def test_many_killed_backtests_recover_to_the_uninterrupted_run(workload: dict[str, Any],
                                                                seed: int) -> None:
    trial(workload, seed)


def test_a_run_killed_twice_recovers_twice(workload: dict[str, Any]) -> None:
    journal = workload["workdir"] / "twice"
    ref_doc = workload["doc"]
    for attempt in range(4):  # a kill that lands after the run's end tests nothing: again
        shutil.rmtree(journal, ignore_errors=True)
        first, second = 4 + 1000 * attempt, 6 + 1000 * attempt  # even: kill at a seq
        kill_at_random(workload["config"], journal, first, ref_doc["last_seq"] // 3,
                       workload["wall"])
        if _completed(journal):
            continue
        kill_at_random(workload["config"], journal, second, 2 * ref_doc["last_seq"] // 3,
                       workload["wall"])
        if not _completed(journal):
            break
    else:
        pytest.fail("every pair of kills let a run end: nothing was tested")
    code, doc, err = finish(start(workload["config"], journal))
    assert code == 0, err
    assert doc["state_hash"] == ref_doc["state_hash"]
    got, want = content(journal), workload["content"]
    assert np.array_equal(got.view(np.uint8), want.view(np.uint8))
    assert verify_journal(journal).status == VerifyStatus.CLEAN
