"""Crash-recovery time of a backtest node over a 1 M-record journal, with and without a snapshot.

Workload: ``noop`` over N random-walk quotes, run once with a node snapshot every
``--snapshot-every`` records; its journal is then copied without its last ``--cut`` records
(RUN_ENDED included) — a run that crashed there — once with the snapshots at or below the cut,
once with none. Each row times a fresh node started on the copy with the same config (the
restart command) until it has verified the journal to its end and marked it RUN_RECOVERED
(``recover_s``), and to the end of the run (``total_s``). Target: < 1 s with a snapshot in the
last 100 k records. Medians of ``--repeats`` (a fresh copy each), noisy shared machine.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _common import parser, report
from backtest_run import CHUNK, random_walk_quotes

from domain.instruments import Instrument
from journal.reader import JournalReader
from journal.snapshots import read_snapshot, snapshot_seqs
from journal.store import Journal
from journal.writer import JournalWriter
from replay import recovery
from replay.backtest import BacktestNode
from replay.backtest_data import DataSource
from replay.config import BacktestConfig, StrategyConfig


def node(quotes, journal: Path, snapshot_every: int) -> BacktestNode:
    inst = Instrument.fx_pair("EUR/USD.SIM", price_precision=5)
    source = DataSource.from_records(
        inst, (quotes[i : i + CHUNK] for i in range(0, len(quotes), CHUNK)), name="random-walk")
    config = BacktestConfig(strategies=[StrategyConfig("noop")], journal=str(journal),
                            snapshot_every=snapshot_every)
    return BacktestNode(config, data=[source])


def crashed_copy(src: Path, dst: Path, cut: int, snapshots: bool) -> int:
    """Copies ``src`` without its last ``cut`` records (and its later snapshots); returns the
    copy's last seq."""
    with Journal.open(src) as journal:
        reader = JournalReader(journal)
        last = reader.last_seq() - cut
        with JournalWriter(dst, durability="none") as writer:
            for batch in reader.batches(1, last):
                writer.on_batch(batch.copy())
            writer.commit()
            for seq in snapshot_seqs(journal) if snapshots else []:
                if seq <= last:
                    found = read_snapshot(journal, seq)
                    assert found is not None
                    writer.write_snapshot(seq, found[1], found[2])
    return last


def timed_recovery(quotes, journal: Path, snapshot_every: int) -> tuple[float, float]:
    marked: list[float] = []
    original = recovery.RecoveringJournal._mark

    def mark(self: recovery.RecoveringJournal) -> None:
        original(self)
        marked.append(time.perf_counter())

    recovery.RecoveringJournal._mark = mark  # type: ignore[method-assign]
    try:
        t0 = time.perf_counter()
        node(quotes, journal, snapshot_every).run()
        t1 = time.perf_counter()
    finally:
        recovery.RecoveringJournal._mark = original  # type: ignore[method-assign]
    return (marked[0] if marked else t1) - t0, t1 - t0


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--quotes", type=int, default=1_000_000, help="quotes in the journal")
    p.add_argument("--snapshot-every", type=int, default=100_000, help="node snapshot cadence")
    p.add_argument("--cut", type=int, default=10_000, help="records lost in the crash")
    args = p.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ringbus-recovery-"))
    try:
        quotes = random_walk_quotes(args.quotes)
        full = root / "full"
        node(quotes, full, args.snapshot_every).run()
        rows = []
        for snapshots in (True, False):
            rec, tot, last = [], [], 0
            for i in range(max(1, args.repeats) + 1):
                copy = root / f"crashed-{snapshots}-{i}"
                last = crashed_copy(full, copy, args.cut, snapshots)
                with Journal.open(copy) as journal:
                    snap = read_snapshot(journal, last) if snapshots else None
                r, t = timed_recovery(quotes, copy, args.snapshot_every)
                shutil.rmtree(copy, ignore_errors=True)
                if i:  # the first is a warm-up
                    rec.append(r)
                    tot.append(t)
            rows.append({"journal_records": last, "snapshot_seq": snap[0] if snap else 0,
                         "recover_s": round(statistics.median(rec), 3),
                         "total_s": round(statistics.median(tot), 3)})
        report("recovery_time", rows, args.json)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
