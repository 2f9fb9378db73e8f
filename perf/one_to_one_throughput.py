"""One producer, one consumer: publish + consume throughput of QUOTE records.

Rows:
- ``numba_batch``: bulk ``publish_records`` of pre-built arrays (``--batch`` records each), then
  ``drain``; the consumer calls one numba kernel per batch (sums bid, ask, bid_size);
- ``python_per_record``: same producer; the consumer takes 3 columns with ``.tolist()`` and runs a
  Python loop over them (what a Python strategy handler costs per record).

Run: ``python perf/one_to_one_throughput.py [--json] [--repeats 5] [--records N] [--batch 4096]``
"""

from __future__ import annotations

import numba
import numpy as np
from _common import QUOTE_DTYPE, median_rate, parser, quote_records, report

from ringbus import ConsumerGraph, DrainLoop, Ring


@numba.njit(cache=True)
def _sum_quotes(quotes: np.ndarray, acc: np.ndarray) -> None:
    s = acc[0]
    for i in range(quotes.shape[0]):
        s += quotes[i]["bid"] + quotes[i]["ask"] + quotes[i]["bid_size"]
    acc[0] = s


class NumbaBatchConsumer:
    """Calls one jitted kernel per batch."""

    def __init__(self) -> None:
        self.acc = np.zeros(1, dtype=np.int64)
        self.count = 0

    def on_batch(self, batch: np.ndarray) -> None:
        _sum_quotes(batch.view(QUOTE_DTYPE), self.acc)
        self.count += len(batch)


class PythonPerRecordConsumer:
    """Reads 3 fields of every record in a plain Python loop."""

    def __init__(self) -> None:
        self.total = 0
        self.count = 0

    def on_batch(self, batch: np.ndarray) -> None:
        q = batch.view(QUOTE_DTYPE)
        total = self.total
        for bid, ask, size in zip(
            q["bid"].tolist(), q["ask"].tolist(), q["bid_size"].tolist(), strict=True
        ):
            total += ask - bid + size
        self.total = total
        self.count += len(batch)


def run_pipeline(handler: object, n_records: int, batch: int, capacity: int) -> float:
    """Returns the median records/s of publishing ``n_records`` in batches and draining each."""
    source = quote_records(batch)
    n_batches = n_records // batch

    def run() -> None:
        ring = Ring(capacity)
        loop = DrainLoop(ring, ConsumerGraph().add("consumer", handler))
        publish, drain = ring.publish_records, loop.drain
        for _ in range(n_batches):
            publish(source)
            drain()
        if loop.consumer("consumer").sequence.value != n_batches * batch:
            raise RuntimeError("consumer did not see every record")

    rate, _ = median_rate(run, n_batches * batch, REPEATS)
    return rate


REPEATS = 5


def main() -> None:
    global REPEATS
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=4_000_000, help="records per timed run")
    p.add_argument("--batch", type=int, default=4096, help="records per publish")
    p.add_argument("--capacity", type=int, default=1 << 16, help="ring capacity (power of two)")
    args = p.parse_args()
    REPEATS = args.repeats
    rows = []
    for name, handler, n in (
        ("numba_batch", NumbaBatchConsumer(), args.records),
        ("python_per_record", PythonPerRecordConsumer(), max(args.batch, args.records // 8)),
    ):
        rate = run_pipeline(handler, n, args.batch, args.capacity)
        rows.append({"workload": name, "batch": args.batch, "records": n,
                     "records_per_s": rate, "ns_per_record": 1e9 / rate})
    report("one_to_one_throughput (publish + consume, QUOTE records, median)", rows, args.json)


if __name__ == "__main__":
    main()
