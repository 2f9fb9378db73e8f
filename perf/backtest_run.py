"""Backtest-level throughput: the whole BacktestNode (kernel, ring, journal, simulated exchange,
risk, execution, equity sampler) over synthetic seeded random-walk EUR/USD quotes.

Rows: ``noop`` over 1 M quotes and ``ema_cross`` over 100 k quotes (about 10 k orders), journal
on with durability ``none``. ``records_per_s`` / ``quotes_per_s`` are medians of ``--repeats``
warm runs (after one untimed run that compiles the numba kernels); ``cold_s`` is that first run
and ``process_s`` the time since the interpreter started, at the end of the row; ``whole_s`` is
the wall time of one whole ``python perf/backtest_run.py --only ROW --once`` (interpreter start,
imports, the data, one cold run: the figure beside the engine's). ``run_s`` is the
whole ``BacktestNode.run`` (results included); ``results_s`` is the part spent building the
results (tables, equity curve) and ``loop_s`` / ``loop_quotes_per_s`` the run without it.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import QUOTE_DTYPE, parser, report

import replay.backtest as backtest_module
from domain.enums import RecordFlag
from domain.instruments import Instrument
from domain.kinds import RECORD_DTYPE, Kind
from replay.backtest import BacktestNode
from replay.backtest_data import DataSource
from replay.config import BacktestConfig, StrategyConfig

CHUNK = 65_536
_RESULTS_S: list[float] = []
_build_results = backtest_module.build_results


def _timed_build_results(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
    t0 = time.perf_counter()
    try:
        return _build_results(*args, **kwargs)
    finally:
        _RESULTS_S.append(time.perf_counter() - t0)


backtest_module.build_results = _timed_build_results


def random_walk_quotes(n: int, seed: int = 42) -> np.ndarray:
    """Returns ``n`` EUR/USD quotes at price precision 5: a ±1 pip random walk, 1-2 pip spread."""
    rng = np.random.default_rng(seed)
    q = np.zeros(n, dtype=QUOTE_DTYPE)
    ts = 1_700_000_000_000_000_000 + np.cumsum(rng.integers(50_000_000, 500_000_000, n))
    q["ts_event"] = q["ts_init"] = ts
    q["kind"] = Kind.QUOTE
    q["flags"] = RecordFlag.INPUT
    q["price_precision"] = 5
    mid = 110_000 + np.cumsum(rng.integers(-1, 2, n))
    q["bid"] = mid
    q["ask"] = mid + rng.integers(1, 3, n)
    q["bid_size"] = q["ask_size"] = 1_000_000
    return q.view(RECORD_DTYPE)


def one_run(strategy: str, quotes: np.ndarray, root: Path) -> tuple[float, int, int, float]:
    """Runs one backtest; returns (wall seconds of the run, records journaled, orders, seconds
    of it spent building the results)."""
    _RESULTS_S.clear()
    inst = Instrument.fx_pair("EUR/USD.SIM", price_precision=5)
    source = DataSource.from_records(
        inst, (quotes[i : i + CHUNK] for i in range(0, len(quotes), CHUNK)), name="random-walk")
    journal = root / f"{strategy}-{time.perf_counter_ns()}"
    config = BacktestConfig(strategies=[StrategyConfig(strategy)], journal=str(journal))
    t0 = time.perf_counter()
    run = BacktestNode(config, data=[source]).run()
    wall = time.perf_counter() - t0
    shutil.rmtree(journal, ignore_errors=True)
    return wall, run.n_records, run.result.summary["n_orders"], sum(_RESULTS_S)


def process_seconds() -> float:
    """Seconds since this process started (Linux /proc), or -1 elsewhere."""
    try:
        start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        import os

        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return -1.0


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--only", choices=("noop", "ema_cross"), help="run one row only")
    p.add_argument("--quotes", type=int, default=0,
                   help="quotes per run for every row (default: 1 M for noop, 100 k for ema_cross)")
    p.add_argument("--once", action="store_true",
                   help="one untimed cold run of the --only row (for whole_s)")
    args = p.parse_args()
    if args.once:
        root = Path(tempfile.mkdtemp(prefix="ringbus-bt-"))
        try:
            one_run(args.only or "noop", random_walk_quotes(
                args.quotes or (1_000_000 if args.only != "ema_cross" else 100_000)), root)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        return
    rows = []
    root = Path(tempfile.mkdtemp(prefix="ringbus-bt-"))
    try:
        for strategy, n in (("noop", 1_000_000), ("ema_cross", 100_000)):
            if args.only and strategy != args.only:
                continue
            n = args.quotes or n
            quotes = random_walk_quotes(n)
            cold_s = one_run(strategy, quotes, root)[0]
            runs = [one_run(strategy, quotes, root) for _ in range(max(1, args.repeats))]
            wall = statistics.median(r[0] for r in runs)
            loop = statistics.median(r[0] - r[3] for r in runs)
            process_s = process_seconds()
            cmd = [sys.executable, __file__, "--only", strategy, "--once", "--quotes", str(n)]
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True)
            whole_s = time.perf_counter() - t0
            rows.append({"strategy": strategy, "quotes": n, "records": runs[0][1],
                         "orders": runs[0][2], "quotes_per_s": round(n / wall),
                         "records_per_s": round(runs[0][1] / wall), "run_s": round(wall, 3),
                         "results_s": round(statistics.median(r[3] for r in runs), 3),
                         "loop_s": round(loop, 3), "loop_quotes_per_s": round(n / loop),
                         "cold_s": round(cold_s, 3), "process_s": round(process_s, 2),
                         "whole_s": round(whole_s, 2)})
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report("backtest_run", rows, args.json)


if __name__ == "__main__":
    main()
