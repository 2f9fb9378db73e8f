"""Tail latency: commit-to-visible time in another process at a fixed commit rate, and the
tailer's CPU use.

This process writes ``--commits`` commits of ``--records-per-commit`` records at
``--rate`` commits/s (durability ``--durability``, default none: on this machine one fsync costs
more than the 1 ms budget) and notes the CLOCK_MONOTONIC time each ``commit()`` returned; a child
process follows with ``Tailer`` and notes when each batch became visible to it.
Latency = visible - committed (clamped at 0: a reader can see a commit before ``commit``
returns). The child's CPU time / wall time is its share of one core.
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
from pathlib import Path

import numpy as np
from _common import parser, report

from journal import JournalWriter
from journal.synth import quote_records


def child(path: str, last_seq: int, notify: bool) -> None:
    from journal.tailer import Tailer

    seen: list[tuple[int, int]] = []
    with Tailer(path, 1, notify=notify) as tailer:
        print("ready", flush=True)
        t0 = time.monotonic()
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        for batch in tailer.batches(stop=lambda: tailer.next_seq > last_seq):
            seen.append((int(batch["seq"][-1]), time.monotonic_ns()))
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        wall = time.monotonic() - t0
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print(json.dumps({"seen": seen, "cpu_fraction": cpu / wall}), flush=True)


def measure(args, notify: bool) -> dict[str, object]:
    path = tempfile.mkdtemp(dir=args.dir, prefix="jtail")
    try:
        JournalWriter(path, args.durability, notify=True).close()
        n = args.commits * args.records_per_commit
        proc = subprocess.Popen(
            [sys.executable, __file__, "--child", path, str(n), "1" if notify else "0"],
            stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        records = quote_records(1, n)
        committed: dict[int, int] = {}
        period_ns = int(1e9 / args.rate)
        with JournalWriter(path, args.durability) as writer:
            start = time.monotonic_ns()
            for i in range(args.commits):
                due = start + i * period_ns
                while (now := time.monotonic_ns()) < due:
                    time.sleep(max(0.0, (due - now) / 1e9 - 0.0002))
                lo = i * args.records_per_commit
                writer.on_batch(records[lo : lo + args.records_per_commit])
                writer.commit()
                committed[lo + args.records_per_commit] = time.monotonic_ns()
        out = json.loads(proc.communicate(timeout=60)[0].splitlines()[-1])
    finally:
        shutil.rmtree(path)
    visible = dict(out["seen"])
    lat_us = np.array([max(0, visible[s] - t) / 1e3 for s, t in committed.items() if s in visible])
    return {
        "wake_up": "notify" if notify else "poll+backoff", "commits": args.commits,
        "rate_per_s": args.rate, "durability": args.durability,
        "seen": len(lat_us), "p50_us": float(np.percentile(lat_us, 50)),
        "p99_us": float(np.percentile(lat_us, 99)), "max_us": float(lat_us.max()),
        "tailer_cpu_pct": 100.0 * out["cpu_fraction"],
    }


def argparse_copy(args, **changes):
    import argparse

    return argparse.Namespace(**{**vars(args), **changes})


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1")
        return
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--commits", type=int, default=3000)
    p.add_argument("--rate", type=float, default=1000.0)
    p.add_argument("--records-per-commit", type=int, default=10)
    p.add_argument("--durability", default="none")
    p.add_argument("--dir", default=None)
    args = p.parse_args()
    rows = []
    for notify in (True, False):
        measure(argparse_copy(args, commits=200), notify)  # warm-up: caches, page cache, CPU
        runs = [measure(args, notify) for _ in range(max(1, args.repeats))]
        row = dict(runs[0])
        for key in ("p50_us", "p99_us", "max_us", "tailer_cpu_pct"):
            row[key] = float(np.median([r[key] for r in runs]))
        rows.append(row)
    report("journal_tail_latency", rows, args.json)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
