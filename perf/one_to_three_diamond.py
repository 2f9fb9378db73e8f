"""Diamond and fan-out consumer topologies: publish + consume throughput of QUOTE records.

Rows:
- ``diamond_numba_batch``: A -> (B, C) -> D, each a numba kernel called once per batch; bulk
  publish of ``--batch`` records then ``drain``;
- ``diamond_python_per_record``: the same graph, each consumer a Python loop over 3 columns;
- ``one_at_a_time_3_consumers``: ONE record published at a time, then ``drain``, through 3
  trivial consumers (journal -> (cache, strategy) fan-out); records/s here is inputs/s of the
  general drain (the kernel's own one-record path is ``Kernel.publish_one``, timed by
  ``perf/backtest_quotes.py``).

Run: ``python perf/one_to_three_diamond.py [--json] [--repeats 5] [--records N] [--batch 4096]``
"""

from __future__ import annotations

import numba
import numpy as np
from _common import QUOTE_DTYPE, median_rate, parser, quote_records, report
from one_to_one_throughput import PythonPerRecordConsumer

from ringbus import ConsumerGraph, DrainLoop, Ring


@numba.njit(cache=True)
def _spread_sum(quotes: np.ndarray, acc: np.ndarray) -> None:
    s = acc[0]
    for i in range(quotes.shape[0]):
        s += quotes[i]["ask"] - quotes[i]["bid"]
    acc[0] = s


class NumbaConsumer:
    def __init__(self) -> None:
        self.acc = np.zeros(1, dtype=np.int64)

    def on_batch(self, batch: np.ndarray) -> None:
        _spread_sum(batch.view(QUOTE_DTYPE), self.acc)



class CountingConsumer:
    def __init__(self) -> None:
        self.count = 0

    def on_batch(self, batch: np.ndarray) -> None:
        self.count += len(batch)


def diamond(factory: type, capacity: int) -> tuple[Ring, DrainLoop]:
    ring = Ring(capacity)
    graph = ConsumerGraph()
    graph.add("a", factory()).add("b", factory(), after=["a"]).add("c", factory(), after=["a"])
    graph.add("d", factory(), after=["b", "c"])
    return ring, DrainLoop(ring, graph)


def batched_rate(factory: type, n_records: int, batch: int, capacity: int, repeats: int) -> float:
    source = quote_records(batch)
    n_batches = max(1, n_records // batch)

    def run() -> None:
        ring, loop = diamond(factory, capacity)
        for _ in range(n_batches):
            ring.publish_records(source)
            loop.drain()
        if loop.consumer("d").sequence.value != n_batches * batch:
            raise RuntimeError("consumer d did not see every record")

    return median_rate(run, n_batches * batch, repeats)[0]


def one_at_a_time_rate(n_records: int, capacity: int, repeats: int) -> float:
    source = quote_records(n_records)

    def run() -> None:
        ring = Ring(capacity)
        graph = ConsumerGraph().add("journal", CountingConsumer())
        graph.add("cache", CountingConsumer(), after=["journal"])
        graph.add("strategy", CountingConsumer(), after=["journal"])
        loop = DrainLoop(ring, graph)
        publish, drain = ring.publish_record, loop.drain
        for i in range(n_records):
            publish(source[i : i + 1])
            drain()
        if loop.consumer("strategy").sequence.value != n_records:
            raise RuntimeError("strategy did not see every record")

    return median_rate(run, n_records, repeats)[0]


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=4_000_000, help="records per batched run")
    p.add_argument("--batch", type=int, default=4096, help="records per publish")
    p.add_argument("--capacity", type=int, default=1 << 16, help="ring capacity (power of two)")
    args = p.parse_args()
    rows = []
    for name, factory, n in (
        ("diamond_numba_batch", NumbaConsumer, args.records),
        ("diamond_python_per_record", PythonPerRecordConsumer, args.records // 16),
    ):
        rate = batched_rate(factory, n, args.batch, args.capacity, args.repeats)
        rows.append({"workload": name, "batch": args.batch, "records_per_s": rate,
                     "ns_per_record": 1e9 / rate})
    rate = one_at_a_time_rate(max(1000, args.records // 40), args.capacity, args.repeats)
    rows.append({"workload": "one_at_a_time_3_consumers", "batch": 1, "records_per_s": rate,
                 "ns_per_record": 1e9 / rate})
    report("one_to_three_diamond (publish + consume, QUOTE records, median)", rows, args.json)


if __name__ == "__main__":
    main()
