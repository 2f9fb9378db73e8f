"""Rebuild on real data: the state at any seq, and snapshot at k + the tail == the full fold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from domain.codec import as_kind
from domain.kinds import Kind
from journal.reader import JournalReader
from journal.store import Journal
from replay.rebuild import apply_records, lineage, rebuild, restore_state, state_kernel


def backtest(journal: Path, data: Path, strategy: str, **params: Any) -> Any:
    from replay.backtest import BacktestNode
    from replay.config import BacktestConfig, DataConfig, StrategyConfig

    config = BacktestConfig(data=[DataConfig(str(data), instrument_id="EUR/USD.SIM"
                                             if data.suffix == ".csv" else None)],
                            strategies=[StrategyConfig(strategy, params)], journal=str(journal))
    return BacktestNode(config).run()


@pytest.fixture(scope="module", params=["eurusd-ema", "es-mbo-market-maker"])
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
        shared_data: Path) -> Any:
    root = tmp_path_factory.mktemp(request.param)
    if request.param == "eurusd-ema":
        return backtest(root / "j", shared_data / "quote_tick_data.csv", "ema_cross", fast=5)
    return backtest(root / "j", shared_data / "esh4-glbx-mdp3-20231225.mbo.dbn.zst",
                    "market_maker")


def test_rebuild_to_the_end_gives_the_state_hash_in_run_ended(run: Any) -> None:
    with Journal.open(run.journal) as journal:
        reader = JournalReader(journal)
        end = reader.record(run.last_seq)
        assert int(end["kind"][0]) == Kind.RUN_ENDED
        journaled = int(as_kind(end, Kind.RUN_ENDED)[0]["state_hash"])
        rebuilt = rebuild(journal, use_snapshots=False)
    assert rebuilt.kernel.state_hash() == journaled == run.state_hash


def test_snapshot_at_k_plus_the_tail_equals_the_full_fold_for_many_k(run: Any) -> None:
    rng = np.random.default_rng(7)
    ks = sorted({int(k) for k in rng.integers(2, run.last_seq, 24)} | {1, run.last_seq - 1})
    with Journal.open(run.journal) as journal:
        reader = JournalReader(journal)
        info = lineage(journal, run.last_seq)
        kernel = state_kernel(reader, info, 1)
        kernel.publish_setup()
        snapshots, at_k = [], {}
        for k in ks:
            apply_records(kernel, reader, kernel.last_seq + 1, k)
            snapshots.append((k, *kernel.snapshot()))
            at_k[k] = kernel.state_hash()
        apply_records(kernel, reader, kernel.last_seq + 1, run.last_seq)
        full = kernel.state_hash()
        assert full == run.state_hash
        for k, doc, arrays in snapshots:
            restored = state_kernel(reader, info, k + 1)
            restore_state(restored, doc, arrays)  # every reducer restores: no refill
            assert restored.state_hash() == at_k[k], f"restore at seq {k}"
            apply_records(restored, reader, k + 1, run.last_seq)
            assert restored.state_hash() == full, f"snapshot at seq {k} + tail"
            for name in ("fills", "opened", "closed"):  # the recorder is in no state hash
                assert restored.component("recorder").records(name) == \
                    kernel.component("recorder").records(name), f"recorder {name} at {k}"
        for k in ks[::6]:  # an independent fold from seq 1 agrees with the state at k
            assert rebuild(journal, k, use_snapshots=False).kernel.state_hash() == at_k[k]


def test_reexecuting_the_inputs_regenerates_every_record(run: Any) -> None:
    from replay.reexecute import reexecute

    outcome = reexecute(run.journal)
    assert outcome.ok, outcome.format()
    assert outcome.n_records == run.last_seq and outcome.state_hash == run.state_hash
