"""Rebuild throughput and replay-to-a-seq latency over a 1 M-record backtest journal.

Workload: ``noop`` over N random-walk EUR/USD quotes (perf/backtest_run.py's generator), run
once by the BacktestNode with a node snapshot every ``--snapshot-every`` records. Rows:
- ``rebuild full``: records/s of :func:`replay.rebuild.rebuild` from seq 1 to the end (target
  >= 2 M records/s);
- ``replay --to-seq (snapshots)``: seconds for ``ringbus replay --to-seq`` near the end, in
  process, starting from the newest snapshot (target < 2 s), and the same without snapshots.
Medians of ``--repeats`` runs after one warm-up; the machine is shared, so figures are noisy.
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
from journal.store import Journal
from replay.backtest import BacktestNode
from replay.backtest_data import DataSource
from replay.config import BacktestConfig, StrategyConfig
from replay.rebuild import rebuild
from replay.state_report import state_report


def make_journal(root: Path, n: int, snapshot_every: int) -> tuple[Path, int]:
    """Writes the workload's journal; returns (path, last seq)."""
    quotes = random_walk_quotes(n)
    inst = Instrument.fx_pair("EUR/USD.SIM", price_precision=5)
    source = DataSource.from_records(
        inst, (quotes[i : i + CHUNK] for i in range(0, n, CHUNK)), name="random-walk")
    path = root / "journal"
    config = BacktestConfig(strategies=[StrategyConfig("noop")], journal=str(path),
                            snapshot_every=snapshot_every)
    run = BacktestNode(config, data=[source]).run()
    return path, run.last_seq


def timed(fn, repeats: int) -> float:
    fn()
    seconds = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds)


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--quotes", type=int, default=1_000_000, help="quotes in the journal")
    p.add_argument("--snapshot-every", type=int, default=100_000, help="node snapshot cadence")
    args = p.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ringbus-replay-"))
    try:
        path, last = make_journal(root, args.quotes, args.snapshot_every)
        target = last - 1000
        rows = []
        with Journal.open(path) as journal:
            full = timed(lambda: rebuild(journal, use_snapshots=False), args.repeats)
            rows.append({"workload": "rebuild full", "records": last, "seconds": round(full, 4),
                         "records_per_s": round(last / full)})

            def to_seq(snapshots: bool) -> None:
                r = rebuild(journal, target, use_snapshots=snapshots)
                state_report(r.kernel, r.seq, r.ts_init)

            for snaps in (True, False):
                s = timed(lambda snaps=snaps: to_seq(snaps), args.repeats)
                label = "snapshots" if snaps else "no snapshots"
                rows.append({"workload": f"replay --to-seq {target} ({label})", "records": target,
                             "seconds": round(s, 4), "records_per_s": round(target / s)})
        report("replay_rebuild", rows, args.json)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
