"""Snapshot at k + replay of k+1..n == replay of 1..n, for the whole kernel, on real data.

A backtest (ema_cross over the EUR/USD quotes; market_maker over the ES MBO file in the slow
suite) writes a node snapshot every few hundred records. For many k, its journal is cut right
after a snapshot at k (or further on, so the tail after the snapshot is re-executed in the
verifying mode), and a node started on the cut journal with the same config recovers from the
snapshot and runs to the end: it must regenerate the uninterrupted run's records (run-lifecycle
records aside) and end with its state hash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from domain.codec import as_kind
from domain.kinds import Kind
from journal.reader import JournalReader
from journal.runs import run_markers
from journal.snapshots import read_snapshot, snapshot_seqs
from journal.store import Journal
from journal.writer import JournalWriter
from replay.backtest import BacktestNode
from replay.config import BacktestConfig, DataConfig, StrategyConfig
from tests.faults.crash_recovery_proc import content


def config(data: Path, journal: Path, strategy: str, params: dict[str, Any],
           every: int) -> BacktestConfig:
    return BacktestConfig(data=[DataConfig(str(data), instrument_id="EUR/USD.SIM"
                                           if data.suffix == ".csv" else None)],
                          strategies=[StrategyConfig(strategy, params)], journal=str(journal),
                          snapshot_every=every)


def cut_copy(src: Path, dst: Path, last: int) -> int | None:
    """Copies records 1..last and the snapshots at or below ``last``; returns the newest
    snapshot seq copied."""
    newest = None
    with Journal.open(src) as journal, JournalWriter(dst, durability="none") as writer:
        reader = JournalReader(journal)
        for batch in reader.batches(1, last):
            writer.on_batch(batch.copy())
        writer.commit()
        for seq in snapshot_seqs(journal):
            if seq <= last:
                found = read_snapshot(journal, seq)
                assert found is not None
                writer.write_snapshot(seq, found[1], found[2])
                newest = seq
    return newest


def check_many_k(tmp_path: Path, data: Path, strategy: str, params: dict[str, Any], every: int,
                 n_k: int) -> None:
    full = BacktestNode(config(data, tmp_path / "full", strategy, params, every)).run()
    want = content(Path(full.journal))
    with Journal.open(full.journal) as journal:
        snaps = snapshot_seqs(journal)
    assert len(snaps) >= n_k
    rng = np.random.default_rng(11)
    picks = sorted(rng.choice(len(snaps), n_k, replace=False).tolist())
    for i, pick in enumerate(picks):
        k = snaps[pick]
        # even picks: cut exactly at the snapshot; odd: some records later (verified tail)
        last = k if i % 2 == 0 else min(k + int(rng.integers(1, every)), full.last_seq - 1)
        cut = tmp_path / f"cut-{k}-{last}"
        assert cut_copy(Path(full.journal), cut, last) == k
        run = BacktestNode(config(data, cut, strategy, params, every)).run()
        assert run.state_hash == full.state_hash, f"snapshot at {k}, cut at {last}"
        got = content(cut)
        assert np.array_equal(got.view(np.uint8), want.view(np.uint8)), \
            f"records differ after recovering from the snapshot at {k} (cut at {last})"
        with Journal.open(cut) as journal:
            markers = run_markers(journal)
        found = as_kind(markers[markers["kind"] == Kind.RUN_RECOVERED], Kind.RUN_RECOVERED)
        assert len(found) == 1 and int(found["last_seq"][0]) == last
        assert int(found["snapshot_seq"][0]) == k and int(found["seq"][0]) > last
        if last == k:  # a snapshot is taken between publishes: the marker follows directly
            assert int(found["seq"][0]) == last + 1


def test_snapshot_at_k_plus_the_tail_equals_the_full_run_on_eurusd_quotes(
        tmp_path: Path, shared_data: Path) -> None:
    lines = (shared_data / "quote_tick_data.csv").read_text().splitlines()[:3000]
    data = tmp_path / "eurusd-quotes.csv"
    data.write_text("\n".join(lines) + "\n")
    check_many_k(tmp_path, data, "ema_cross", {"fast": 5, "slow": 20}, 250, 8)


@pytest.mark.slow
def test_snapshot_at_k_plus_the_tail_equals_the_full_run_on_the_es_mbo_file(
        tmp_path: Path, shared_data: Path) -> None:
    check_many_k(tmp_path, shared_data / "esh4-glbx-mdp3-20231225.mbo.dbn.zst",
                 "market_maker", {}, 5000, 10)
