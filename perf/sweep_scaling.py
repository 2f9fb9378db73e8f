"""Parameter-sweep scaling: 16 ``ema_cross`` points over 100 k quotes each, in process vs a
two-worker Dask ``LocalCluster``, and the scheduler's overhead per task.

Rows: ``sequential`` (``run_sweep(workers=0)``: the points one after the other in this
process) and ``local_cluster_2`` (``run_sweep`` on a LocalCluster of 2 single-threaded worker
processes, started once; its start-up time is its own row). Each sweep writes 16 journals into
a fresh out directory; the data file (a HistData-style CSV of 100 k synthetic EUR/USD quotes)
is read once per process (the worker-local cache), in an untimed warm-up sweep per mode. The
two modes alternate, so that both see the same load, and the speed-up is the median of the
per-pair ratios.
``noop_task_overhead``: 400 tasks that return their argument, submitted at once to the same
cluster: wall time per task (what the scheduler costs a task, amortised over 2 workers) and
the round trip of one task alone. Goals (issue 17): speed-up >= 1.7x, overhead <= 20 ms.
The machine is shared: the 1-minute load average is printed with each row.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import parser, report

from replay.config import BacktestConfig, DataConfig
from replay.dist import open_client
from replay.sweep import SweepSpec, run_sweep

GRID = {"fast": (5, 10, 20, 40), "slow": (60, 120, 240, 480)}


def write_quotes(path: Path, n: int, seed: int = 7) -> Path:
    """Writes ``n`` HistData quotes (``YYYYMMDD HHMMSSmmm,bid,ask,volume``), a random walk."""
    rng = np.random.default_rng(seed)
    ms = np.cumsum(rng.integers(100, 1000, n))
    mid = 110_000 + np.cumsum(rng.integers(-2, 3, n))
    lines = []
    for t, m in zip(ms.tolist(), mid.tolist(), strict=True):
        s, milli = divmod(t, 1000)
        d, s = divmod(s, 86400)
        h, s = divmod(s, 3600)
        lines.append(f"202001{1 + d:02d} {h:02d}{s // 60:02d}{s % 60:02d}{milli:03d},"
                     f"{(m - 1) / 100000:.5f},{(m + 1) / 100000:.5f},0")
    path.write_text("\n".join(lines) + "\n")
    return path


def _timed_sweep(spec: SweepSpec, out: Path, **kw) -> float:
    t0 = time.perf_counter()
    result = run_sweep(spec, out, **kw)
    seconds = time.perf_counter() - t0
    assert result.n_faulted == 0 and result.how == {"ran": len(result.rows)}, result.how
    shutil.rmtree(out)
    return seconds


def _noop(x: int) -> int:
    return x


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--quotes", type=int, default=100_000)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(repeats=3)
    args = p.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = write_quotes(root / "eurusd-synthetic.csv", args.quotes)
        spec = SweepSpec(BacktestConfig(data=[DataConfig(str(data))]), "ema_cross", GRID)
        n = len(spec.points())
        t0 = time.perf_counter()
        with open_client(workers=args.workers) as client:
            startup = time.perf_counter() - t0
            start_load = round(os.getloadavg()[0], 1)
            _timed_sweep(spec, root / "warm-seq", workers=0)
            _timed_sweep(spec, root / "warm-par", client=client)
            seq, par, loads = [], [], []
            for i in range(args.repeats):  # alternated: both modes see the same load
                seq.append(_timed_sweep(spec, root / f"seq{i}", workers=0))
                par.append(_timed_sweep(spec, root / f"par{i}", client=client))
                loads.append(os.getloadavg()[0])
            seq_s, par_s = statistics.median(seq), statistics.median(par)
            ratio = statistics.median(a / b for a, b in zip(seq, par, strict=True))
            load = round(statistics.median(loads), 1)
            rows.append({"row": "sequential", "points": n, "wall_s": round(seq_s, 2),
                         "points_per_s": round(n / seq_s, 2), "speedup": 1.0, "load_1m": load})
            rows.append({"row": f"local_cluster_{args.workers}", "points": n,
                         "wall_s": round(par_s, 2), "points_per_s": round(n / par_s, 2),
                         "speedup": round(ratio, 2), "load_1m": load})
            rows.append({"row": f"cluster_start_{args.workers}", "points": 0,
                         "wall_s": round(startup, 2), "points_per_s": 0.0, "speedup": 0.0,
                         "load_1m": start_load})
            client.gather(client.map(_noop, range(50), pure=False))  # warm
            per_task, round_trip = [], []
            for r in range(args.repeats):
                t0 = time.perf_counter()
                client.gather(client.map(_noop, [r * 1000 + i for i in range(400)], pure=False))
                per_task.append((time.perf_counter() - t0) / 400)
                t0 = time.perf_counter()
                client.submit(_noop, -r - 1, pure=False).result()
                round_trip.append(time.perf_counter() - t0)
            rows.append({"row": "noop_task_overhead", "points": 400,
                         "wall_s": round(statistics.median(per_task) * 400, 3),
                         "points_per_s": round(1 / statistics.median(per_task)),
                         "speedup": 0.0, "load_1m": round(os.getloadavg()[0], 1),
                         "ms_per_task": round(statistics.median(per_task) * 1e3, 2),
                         "round_trip_ms": round(statistics.median(round_trip) * 1e3, 2)})
    for row in rows:
        row.setdefault("ms_per_task", round(row["wall_s"] / row["points"] * 1e3, 1)
                       if row["points"] else 0.0)
        row.setdefault("round_trip_ms", 0.0)
    report(f"sweep scaling: {n} ema_cross points x {args.quotes:,} quotes", rows, args.json)


if __name__ == "__main__":
    main()
