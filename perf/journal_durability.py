"""A backtest's cost per durability mode: the whole BacktestNode (ema_cross over seeded
random-walk EUR/USD quotes, 50-500 ms apart) with its journal in ``none``, ``batch`` and
``sync``, and the number of LMDB commits each made.

``run_s`` is the median of ``--repeats`` runs after one untimed warm-up; ``commits`` counts the
writer's commits (each one an fsync in ``batch`` and ``sync``). Before the batch window was
measured in wall time, ``batch`` committed whenever 100 ms of *data* time had passed, which in
a backtest is nearly every quote: one fsync per quote.
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
from journal.writer import JournalWriter
from replay.backtest import BacktestNode
from replay.backtest_data import DataSource
from replay.config import BacktestConfig, StrategyConfig

_commits = [0]
_commit = JournalWriter.commit


def _counted_commit(self: JournalWriter) -> int:
    _commits[0] += 1
    return _commit(self)


JournalWriter.commit = _counted_commit  # type: ignore[method-assign]


def one_run(quotes, durability: str, root: Path) -> tuple[float, int, int]:
    """Runs one backtest; returns (wall seconds, records journaled, commits)."""
    inst = Instrument.fx_pair("EUR/USD.SIM", price_precision=5)
    source = DataSource.from_records(
        inst, (quotes[i : i + CHUNK] for i in range(0, len(quotes), CHUNK)), name="random-walk")
    journal = root / f"{durability}-{time.perf_counter_ns()}"
    config = BacktestConfig(strategies=[StrategyConfig("ema_cross")], journal=str(journal),
                            durability=durability)
    _commits[0] = 0
    t0 = time.perf_counter()
    run = BacktestNode(config, data=[source]).run()
    wall = time.perf_counter() - t0
    shutil.rmtree(journal, ignore_errors=True)
    return wall, run.n_records, _commits[0]


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--quotes", type=int, default=50_000, help="quotes per run")
    p.add_argument("--modes", default="none,batch,sync", help="comma-separated durability modes")
    args = p.parse_args()
    quotes = random_walk_quotes(args.quotes)
    root = Path(tempfile.mkdtemp(prefix="ringbus-dur-"))
    rows = []
    try:
        for mode in args.modes.split(","):
            one_run(quotes, mode, root)
            runs = [one_run(quotes, mode, root) for _ in range(max(1, args.repeats))]
            wall = statistics.median(r[0] for r in runs)
            rows.append({"durability": mode, "quotes": args.quotes, "records": runs[0][1],
                         "commits": runs[0][2], "run_s": round(wall, 3),
                         "quotes_per_s": round(args.quotes / wall)})
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report("journal_durability", rows, args.json)


if __name__ == "__main__":
    main()
