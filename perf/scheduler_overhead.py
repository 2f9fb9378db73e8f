"""Task-engine overhead on this machine: Dask distributed vs Ray, local cluster of 2 workers.

Rows per engine: ``start`` (a local cluster of 2 single-threaded workers up and one task run),
``noop_batch`` (400 tasks returning their argument, submitted at once: wall time per task),
``noop_alone`` (one task's round trip). Medians of ``--repeats``. The numbers behind the choice
of Dask in docs/sweeps.md; run it in an environment holding the engine (``--engine ray``
imports ray only then). It needs only the standard library and the engine (no ringbus, no
numpy: it runs in a bare environment holding one engine), so it carries its own table printer.
The machine is shared: the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

N_BATCH = 400


def _noop(x: int) -> int:
    return x


def _measure(submit_many: Callable[[list[int]], Any], submit_one: Callable[[int], Any],
             repeats: int) -> tuple[float, float]:
    submit_many(list(range(50)))  # warm: workers started, functions shipped
    batch, alone = [], []
    for r in range(repeats):
        t0 = time.perf_counter()
        submit_many([r * 1000 + i for i in range(N_BATCH)])
        batch.append((time.perf_counter() - t0) / N_BATCH)
        t0 = time.perf_counter()
        submit_one(-r - 1)
        alone.append(time.perf_counter() - t0)
    return statistics.median(batch), statistics.median(alone)


def dask_rows(repeats: int) -> tuple[float, float, float]:
    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", silence_logs=40) as cluster, \
            Client(cluster) as client:
        client.submit(_noop, 0, pure=False).result()
        start = time.perf_counter() - t0
        batch, alone = _measure(
            lambda xs: client.gather(client.map(_noop, xs, pure=False)),
            lambda x: client.submit(_noop, x, pure=False).result(), repeats)
    return start, batch, alone


def ray_rows(repeats: int) -> tuple[float, float, float]:
    import ray

    t0 = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             _node_ip_address="127.0.0.1")
    try:
        noop = ray.remote(_noop)
        ray.get([noop.remote(0), noop.remote(1)])
        start = time.perf_counter() - t0
        batch, alone = _measure(lambda xs: ray.get([noop.remote(x) for x in xs]),
                                lambda x: ray.get(noop.remote(x)), repeats)
    finally:
        ray.shutdown()
    return start, batch, alone


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--engine", choices=("dask", "ray"), default="dask")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args()
    start, batch, alone = (dask_rows if args.engine == "dask" else ray_rows)(args.repeats)
    load = round(os.getloadavg()[0], 1)
    rows = [{"engine": args.engine, "row": "start_2_workers", "ms": round(start * 1e3, 1),
             "load_1m": load},
            {"engine": args.engine, "row": "noop_batch_per_task", "ms": round(batch * 1e3, 2),
             "load_1m": load},
            {"engine": args.engine, "row": "noop_alone_round_trip", "ms": round(alone * 1e3, 2),
             "load_1m": load}]
    title = f"task engine overhead: {args.engine}, 2 local workers"
    if args.json:
        print(json.dumps({"benchmark": title, "rows": rows}))
        return
    print(title)
    for row in rows:
        print(f"  {row['row']:<24} {row['ms']:>10.2f} ms   (load {row['load_1m']})")


if __name__ == "__main__":
    main()
