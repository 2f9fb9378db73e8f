"""Recovery refuses what it cannot recover: another config, a completed run, changed data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from journal.reader import JournalReader
from journal.snapshots import read_snapshot, snapshot_seqs
from journal.store import Journal
from journal.writer import JournalWriter
from replay.backtest import BacktestNode
from replay.config import BacktestConfig, DataConfig, StrategyConfig
from replay.recovery import RecoveryError
from tests.faults.crash_recovery_proc import content


def node(data: Path, journal: Path, **params: Any) -> BacktestNode:
    return BacktestNode(BacktestConfig(
        data=[DataConfig(str(data), instrument_id="EUR/USD.SIM")],
        strategies=[StrategyConfig("ema_cross", {"fast": 5, "slow": 20, **params})],
        journal=str(journal), snapshot_every=300))


def crashed(src: Path, dst: Path, last: int, snapshots: bool = True) -> None:
    with Journal.open(src) as journal, JournalWriter(dst, durability="none") as writer:
        for batch in JournalReader(journal).batches(1, last):
            writer.on_batch(batch.copy())
        writer.commit()
        for seq in snapshot_seqs(journal) if snapshots else []:
            if seq <= last:
                found = read_snapshot(journal, seq)
                assert found is not None
                writer.write_snapshot(seq, found[1], found[2])


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> tuple[Path, Any]:
    root = tmp_path_factory.mktemp("recovery-bad")
    lines = (shared_data / "quote_tick_data.csv").read_text().splitlines()[:1500]
    data = root / "eurusd-quotes.csv"
    data.write_text("\n".join(lines) + "\n")
    return data, node(data, root / "full").run()


def test_a_crashed_run_of_another_config_is_refused_naming_both(full, tmp_path) -> None:
    data, run = full
    crashed(Path(run.journal), tmp_path / "j", run.last_seq // 2)
    with pytest.raises(RecoveryError, match="config hash") as err:
        node(data, tmp_path / "j", fast=6).run()
    assert "same command" in str(err.value)


def test_a_completed_run_of_the_same_config_is_not_run_again(full) -> None:
    """Run again, it appends nothing and returns the results rebuilt from the journal (a
    report a kill after RUN_ENDED left unwritten can be finished, issue 18)."""
    data, run = full
    before = content(Path(run.journal))
    again = node(data, Path(run.journal)).run()
    assert np.array_equal(content(Path(run.journal)), before)
    assert (again.first_seq, again.last_seq, again.state_hash) == \
        (run.first_seq, run.last_seq, run.state_hash)
    assert again.result.summary == run.result.summary
    assert again.result.orders == run.result.orders and again.result.fills == run.result.fills


@pytest.mark.parametrize("snapshots", [True, False])
def test_recovery_without_a_snapshot_or_with_one_reaches_the_same_end(full, tmp_path,
                                                                      snapshots) -> None:
    data, run = full
    crashed(Path(run.journal), tmp_path / "j", run.last_seq - 500, snapshots)
    again = node(data, tmp_path / "j").run()
    assert again.state_hash == run.state_hash
    assert again.result.summary["n_fills"] == run.result.summary["n_fills"]
    assert again.first_seq == 1 and again.last_seq == run.last_seq + 2  # + RUN_RECOVERED, START


def test_recovery_replays_the_journals_own_inputs_not_the_data_files(full, tmp_path) -> None:
    """The journal is the record: a quote edited in the data file before the journal's end
    changes nothing (the file is read only past the end); the recovered run is the original."""
    data, run = full
    crashed(Path(run.journal), tmp_path / "j", run.last_seq - 200, snapshots=False)
    lines = data.read_text().splitlines()
    edited = lines[100].replace(",1.12", ",1.13", 2)
    assert edited != lines[100]
    lines[100] = edited
    other = tmp_path / "eurusd-quotes.csv"
    other.write_text("\n".join(lines) + "\n")
    changed = node(other, tmp_path / "j")
    changed.manifest = node(data, tmp_path / "j").manifest  # the same command, the data edited
    again = changed.run()
    assert again.state_hash == run.state_hash
    assert np.array_equal(content(tmp_path / "j").view(np.uint8),
                          content(Path(run.journal)).view(np.uint8))


def test_a_second_crash_resumes_from_a_snapshot_taken_after_the_first_recovery(full,
                                                                                 tmp_path) -> None:
    data, run = full
    crashed(Path(run.journal), tmp_path / "first", run.last_seq // 3)
    once = node(data, tmp_path / "first").run()
    with Journal.open(once.journal) as journal:
        later = [s for s in snapshot_seqs(journal) if s > run.last_seq // 3 + 2]
    assert later, "the recovered run took no snapshot of its own"
    crashed(tmp_path / "first", tmp_path / "second", later[-1] + 7)
    twice = node(data, tmp_path / "second").run()
    assert twice.state_hash == run.state_hash
    assert twice.result.summary["n_fills"] == run.result.summary["n_fills"]
    assert twice.last_seq == run.last_seq + 4  # two RUN_RECOVERED + continuation RUN_STARTED
