"""Crash-recovery time of a backtest node: it depends on the tail after the newest snapshot.

Workload: ``noop`` over ``--records`` random-walk quotes with a node snapshot every
``--snapshot-every`` records; the run crashes ``--tail`` data records after its newest snapshot
(a BaseException raised by its data source: no RUN_ENDED, the journal a committed prefix). Each
row times a fresh node, started on a copy of the crashed journal with the same config (the
restart command), until it has restored the snapshot, re-executed and verified the journal's
tail and marked it RUN_RECOVERED (``recover_s``). ``--compare`` adds the same crash of a run
ten times shorter (the recovery time must not grow with the run's length) and one recovered
without its snapshots (a full replay of the lineage). Goal (issue 19): ``recover_s`` <= 0.3 s
for a 10 M-record journal with a recent snapshot. Medians of ``--repeats`` (a fresh copy each,
after a warm-up), noisy shared machine.
"""

from __future__ import annotations

import contextlib
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from _common import parser, report
from backtest_run import CHUNK, random_walk_quotes

from domain.instruments import Instrument
from journal.reader import JournalReader
from journal.snapshots import snapshot_seqs
from journal.store import Journal
from journal.writer import JournalWriter
from replay import recovery
from replay.backtest import BacktestNode
from replay.backtest_data import DataSource
from replay.config import BacktestConfig, StrategyConfig


class Crash(BaseException):
    """The simulated crash (not an Exception: the node does not end the run)."""


def chunks(quotes: np.ndarray, stop: int | None) -> Iterator[np.ndarray]:
    for lo in range(0, len(quotes), CHUNK):
        if stop is not None and lo >= stop:
            raise Crash
        yield quotes[lo : lo + CHUNK if stop is None else min(lo + CHUNK, stop)]
    if stop is not None:
        raise Crash


def node(quotes: np.ndarray, journal: Path, every: int, stop: int | None = None) -> BacktestNode:
    inst = Instrument.fx_pair("EUR/USD.SIM", price_precision=5)
    source = DataSource.from_records(inst, chunks(quotes, stop), name="random-walk")
    config = BacktestConfig(strategies=[StrategyConfig("noop")], journal=str(journal),
                            snapshot_every=every)
    return BacktestNode(config, data=[source])


def crashed_run(quotes: np.ndarray, journal: Path, every: int, tail: int) -> tuple[int, int]:
    """Writes a run that crashed ``tail`` inputs after a snapshot; returns (last seq, snapshot
    seq). Snapshots fall on chunk boundaries (noop publishes a chunk at once): the crash is
    ``tail`` inputs after the last boundary that is a multiple of the cadence."""
    per = max(1, every // CHUNK)
    stop = (len(quotes) - tail - 1) // CHUNK // per * per * CHUNK + tail
    with contextlib.suppress(Crash):
        node(quotes, journal, every, stop).run()
    with Journal.open(journal) as j:
        return JournalReader(j).last_seq(), max(snapshot_seqs(j), default=0)


def without_snapshots(src: Path, dst: Path) -> None:
    with Journal.open(src) as journal, JournalWriter(dst, durability="none") as writer:
        for batch in JournalReader(journal).batches(1):
            writer.on_batch(batch.copy())


def timed_recovery(quotes: np.ndarray, journal: Path, every: int) -> float:
    marked: list[float] = []
    original = recovery.RecoveringJournal._mark

    def mark(self: recovery.RecoveringJournal) -> None:
        original(self)
        marked.append(time.perf_counter())
        raise Crash  # recovered: the rest of the run is not what is measured

    recovery.RecoveringJournal._mark = mark  # type: ignore[method-assign]
    try:
        t0 = time.perf_counter()
        with contextlib.suppress(Crash):
            node(quotes, journal, every).run()
    finally:
        recovery.RecoveringJournal._mark = original  # type: ignore[method-assign]
    return marked[0] - t0


def measure(quotes: np.ndarray, root: Path, name: str, every: int, tail: int, repeats: int,
            snapshots: bool = True) -> dict[str, object]:
    crashed = root / f"{name}-crashed"
    last, snap = crashed_run(quotes, crashed, every, tail)
    if not snapshots:
        plain = root / f"{name}-plain"
        without_snapshots(crashed, plain)
        shutil.rmtree(crashed)
        crashed, snap = plain, 0
    times = []
    for i in range(repeats + 1):
        copy = root / f"{name}-{i}"
        shutil.copytree(crashed, copy)
        t = timed_recovery(quotes, copy, every)
        shutil.rmtree(copy, ignore_errors=True)
        if i:  # the first is a warm-up
            times.append(t)
    shutil.rmtree(crashed, ignore_errors=True)
    return {"run": name, "journal_records": last, "snapshot_seq": snap,
            "tail_records": last - snap if snap else last,
            "recover_s": round(statistics.median(times), 3)}


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=10_000_000, help="quotes of the long run")
    p.add_argument("--snapshot-every", type=int, default=CHUNK // 2,
                   help="snapshot cadence (records; below the chunk: one per chunk)")
    p.add_argument("--tail", type=int, default=20_000, help="inputs after the newest snapshot")
    p.add_argument("--compare", action="store_true",
                   help="also a run 10x shorter, and the short one without snapshots")
    args = p.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ringbus-recovery-", dir="/dev/shm")
                if Path("/dev/shm").is_dir() else tempfile.mkdtemp(prefix="ringbus-recovery-"))
    repeats = max(1, args.repeats)
    try:
        quotes = random_walk_quotes(args.records)
        rows = [measure(quotes, root, "long", args.snapshot_every, args.tail, repeats)]
        if args.compare:
            short = quotes[: args.records // 10]
            every = args.snapshot_every
            rows.append(measure(short, root, "short", every, args.tail, repeats))
            rows.append(measure(short, root, "short-no-snapshot", every, args.tail, repeats,
                                snapshots=False))
        report("recovery_time", rows, args.json)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
