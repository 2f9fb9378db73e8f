"""Benchmark: the simulated exchange on the ES MBO file (L3 queue model) and on quotes (L1).

Workloads (each through the real kernel, cache and replay loop; the venue harness of
tests/unit/exchange_harness.py):
- ``mbo_idle``: the ES file after the open with no open orders (the data is batched);
- ``mbo_queue``: the same records with 4 resting limits 15-20 ticks away (they stay open, so
  every delta of the instrument is published alone and goes through the queues);
- ``quotes_idle`` / ``quotes_resting``: 100k synthetic quotes without / with a resting limit.

Prints a table of records/s (median of ``--runs``), or one JSON object with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from domain.codec import as_kind, empty  # noqa: E402
from domain.enums import BookLevel, OrderSide, OrderType, RecordFlag  # noqa: E402
from domain.kinds import KIND_DTYPES, Kind  # noqa: E402
from replay.loaders.dbn import load_dbn  # noqa: E402
from replay.loop import run  # noqa: E402
from tests.unit.exchange_harness import Venue  # noqa: E402

ES = ROOT.parent / "shared" / "data" / "esh4-glbx-mdp3-20231225.mbo.dbn.zst"


def mbo_run(with_orders: bool) -> tuple[int, float]:
    v = Venue(book_level=BookLevel.L3, capacity=1 << 17)
    data = load_dbn(ES, v.iid, price_precision=2)
    d = data.view(KIND_DTYPES[Kind.BOOK_DELTA])
    k = int(np.searchsorted(d["ts_init"], int(np.datetime64("2023-12-25T23:01:00", "ns")
                                                 .astype(np.int64))))
    while not d["flags"][k - 1] & RecordFlag.LAST:
        k += 1
    v.feed(data[:k])
    if with_orders:
        bids, asks = v.kernel.ctx.cache.book(v.iid).depth(1)
        t = int(d["ts_init"][k - 1])
        # 15 and 20 ticks away: they rest all along, so every delta goes through the queues
        for side, px in ((OrderSide.BUY, bids[0, 0] - 375), (OrderSide.SELL, asks[0, 0] + 375),
                         (OrderSide.BUY, bids[0, 0] - 500), (OrderSide.SELL, asks[0, 0] + 500)):
            v.submit(side, OrderType.LIMIT, 5, price=int(px), ts=t)
    rest = data[k:]
    t0 = time.perf_counter()
    stats = run(v.kernel, [rest])
    secs = time.perf_counter() - t0
    if with_orders and stats.one_at_a_time < len(rest):
        raise RuntimeError(f"only {stats.one_at_a_time} of {len(rest)} records went one at a time")
    return len(rest), secs


def quotes_run(with_order: bool, n: int = 100_000) -> tuple[int, float]:
    v = Venue(capacity=1 << 17)
    recs = empty(Kind.QUOTE, n)
    q = as_kind(recs, Kind.QUOTE)
    ts = 2 * 10**9 + np.arange(n, dtype=np.int64) * 1000
    q["ts_event"], q["ts_init"], q["flags"] = ts, ts, int(RecordFlag.INPUT)
    q["instrument_id"], q["price_precision"] = v.iid, 2
    q["bid"] = 480000 + 25 * (np.arange(n) % 4)
    q["ask"] = q["bid"] + 25
    q["bid_size"], q["ask_size"] = 10, 10
    v.quote(480000, 480025, ts=10**9 + 1)
    if with_order:
        v.submit(OrderSide.BUY, OrderType.LIMIT, 1, price=470000, ts=10**9 + 2)
    t0 = time.perf_counter()
    run(v.kernel, [recs])
    return n, time.perf_counter() - t0


WORKLOADS = {
    "mbo_idle": lambda: mbo_run(False),
    "mbo_queue": lambda: mbo_run(True),
    "quotes_idle": lambda: quotes_run(False),
    "quotes_resting": lambda: quotes_run(True),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = {}
    for name, fn in WORKLOADS.items():
        rates = []
        for _ in range(args.runs):
            n, secs = fn()
            rates.append(n / secs)
        result[name] = {"records": n, "records_per_s": round(statistics.median(rates))}
    if args.json:
        print(json.dumps(result))
        return
    print(f"{'workload':<16}{'records':>10}{'records/s (median)':>22}")
    for name, r in result.items():
        print(f"{name:<16}{r['records']:>10}{r['records_per_s']:>22,}")


if __name__ == "__main__":
    main()
