"""Soak: resident memory of a long ``ema_cross`` backtest (journal on, durability ``none``).

Each row is one fresh process running the whole BacktestNode over ``quotes`` synthetic seeded
random-walk EUR/USD quotes (made chunk by chunk, never all in memory; the journal goes to a
temporary directory and is deleted). Columns: ``orders`` placed; ``rss_mb_at_10pct`` /
``rss_mb_at_50pct`` / ``rss_mb_at_end``: resident set size (``/proc/self/statm``) when that share
of the quotes had been read; ``peak_rss_mb``: the process's peak (``ru_maxrss``, results built
included); ``peak_anon_mb`` / ``peak_file_mb``: the largest anonymous (the process's own heap)
and file-backed (mapped journal pages, reclaimable) resident sizes seen at each chunk;
``recorder_records``: the ORDER_FILLED / POSITION_* records the results recorder
(replay/results.py ``RunRecorder``) holds at the end. Flat means the 10 M row's peak is within a
few MB of the 1 M row's (issue 19: within 100 MB); ``peak_anon_mb`` is the figure to compare.

The run's memory bounds are the config's (``[run] order_history`` / ``keep_records``, default
100 000 each: the cache keeps that many closed orders, the recorder that many fills and position
cycles for the tables); ``--order-history`` / ``--keep-records`` set them (``all``: keep
everything, the behaviour before the bounds; ``none``: keep nothing).

    python perf/soak_memory.py                    # 1 M and 10 M quotes, defaults (minutes)
    python perf/soak_memory.py --quotes 1000000 3000000 --json
    python perf/soak_memory.py --order-history all --keep-records all   # keep everything
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from _common import QUOTE_DTYPE, report

from domain.enums import RecordFlag
from domain.instruments import Instrument
from domain.kinds import RECORD_DTYPE, Kind

CHUNK = 65_536
_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


def rss_mb() -> float:
    """Returns the current resident set size in MB (Linux)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * _PAGE_MB


def rss_split_mb() -> tuple[float, float]:
    """Returns (anonymous, file-backed) resident MB: the process's own memory, and pages of
    mapped files (the journal's LMDB map), which the OS may reclaim at any time."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
                  if line.startswith(("RssAnon", "RssFile")))
    return (int(fields["RssAnon"].split()[0]) / 1024, int(fields["RssFile"].split()[0]) / 1024)


def walk_chunks(n: int, seed: int, marks: dict[int, float]) -> Iterator[np.ndarray]:
    """Yields ``n`` quotes in chunks (a ±1 pip random walk, 1-2 pip spread, 50-500 ms apart);
    records the RSS in ``marks`` when 10 %, 50 % and all of them have been handed out."""
    rng = np.random.default_rng(seed)
    ts, mid = 1_700_000_000_000_000_000, 110_000
    at = {max(1, n // 10): "rss_mb_at_10pct", max(1, n // 2): "rss_mb_at_50pct"}
    done = 0
    while done < n:
        m = min(CHUNK, n - done)
        q = np.zeros(m, dtype=QUOTE_DTYPE)
        t = ts + np.cumsum(rng.integers(50_000_000, 500_000_000, m))
        mids = mid + np.cumsum(rng.integers(-1, 2, m))
        ts, mid = int(t[-1]), int(mids[-1])
        q["ts_event"] = q["ts_init"] = t
        q["kind"] = Kind.QUOTE
        q["flags"] = RecordFlag.INPUT
        q["price_precision"] = 5
        q["bid"] = mids
        q["ask"] = mids + rng.integers(1, 3, m)
        q["bid_size"] = q["ask_size"] = 1_000_000
        for mark, name in at.items():
            if done < mark <= done + m:
                marks[name] = round(rss_mb(), 1)
        anon, file = rss_split_mb()
        marks["peak_anon_mb"] = round(max(marks.get("peak_anon_mb", 0.0), anon), 1)
        marks["peak_file_mb"] = round(max(marks.get("peak_file_mb", 0.0), file), 1)
        done += m
        yield q.view(RECORD_DTYPE)


_WORDS = {"all": True, "none": False}


def _bound(text: str) -> int | bool | None:
    """``all`` -> True, ``none`` -> False, ``default`` -> None (the config's), else an int."""
    word = text.lower()
    return None if word == "default" else _WORDS[word] if word in _WORDS else int(text)


def one_row(n: int, order_history: str, keep_records: str) -> dict[str, object]:
    """Runs the backtest over ``n`` quotes in this process; returns its row."""
    from replay import backtest as backtest_module
    from replay.backtest import BacktestNode
    from replay.backtest_data import DataSource
    from replay.config import BacktestConfig, RunConfig, StrategyConfig

    bounds = {k: v for k, v in (("order_history", _bound(order_history)),
                                ("keep_records", _bound(keep_records))) if v is not None}
    run_config = RunConfig(**bounds)
    recorder_records: list[int] = []
    build_results = backtest_module.build_results

    def counting_build_results(cache: Any, strings: Any, recorder: Any, *args: Any) -> Any:
        recorder_records.append(sum(recorder.n_kept(n) for n in ("fills", "opened", "closed")))
        return build_results(cache, strings, recorder, *args)

    backtest_module.build_results = counting_build_results
    root = Path(tempfile.mkdtemp(prefix="ringbus-soak-"))
    marks: dict[str, float] = {}
    try:
        inst = Instrument.fx_pair("EUR/USD.SIM", price_precision=5)
        source = DataSource.from_records(inst, walk_chunks(n, 42, marks), name="random-walk")
        config = BacktestConfig(strategies=[StrategyConfig("ema_cross")],
                                journal=str(root / "journal"), run=run_config)
        t0 = time.perf_counter()
        run = BacktestNode(config, data=[source]).run()
        wall = time.perf_counter() - t0
        end = round(rss_mb(), 1)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {"quotes": n, "orders": run.result.summary["n_orders"],
            "order_history": run_config.order_history, "keep_records": run_config.keep_records, "recorder_records": recorder_records[0], **marks,
            "rss_mb_at_end": end,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "run_s": round(wall, 1)}


def main() -> None:
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--quotes", type=int, nargs="+", default=[1_000_000, 10_000_000],
                   help="quotes per row (one fresh process each)")
    p.add_argument("--order-history", default="default", metavar="N|all|none|default",
                   help="closed orders the cache keeps ([run] order_history; default: the "
                   "config's default)")
    p.add_argument("--keep-records", default="default", metavar="N|all|none|default",
                   help="fills / position cycles the recorder keeps ([run] keep_records)")
    p.add_argument("--row", type=int, help=argparse.SUPPRESS)  # the child process of one row
    args = p.parse_args()
    if args.row:
        print(json.dumps(one_row(args.row, args.order_history, args.keep_records)))
        return
    rows = []
    for n in args.quotes:
        cmd = [sys.executable, __file__, "--row", str(n), "--order-history", args.order_history,
               "--keep-records", args.keep_records]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    report("soak_memory", rows, args.json)


if __name__ == "__main__":
    main()
