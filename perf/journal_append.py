"""Journal append throughput: records/s and MB/s per durability mode and ring batch size.

Each row writes ``--records`` QUOTE records into a fresh journal with ``JournalWriter``, calling
``on_batch`` with ``batch`` records and ``flush()`` after each call (as the kernel does after each
drain), then ``commit()``; the median of ``--repeats`` runs is reported.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time

from _common import parser, report

from journal import JournalWriter
from journal.synth import quote_records

ROWS = [  # (durability, records per on_batch call, records per row (cap))
    ("none", 4096, None),
    ("none", 64, None),
    ("none", 1, 200_000),
    ("batch", 4096, None),
    ("sync", 4096, None),
    ("sync", 256, 200_000),
]


def run_once(base: str, durability: str, batch: int, records, writemap: bool) -> float:
    path = tempfile.mkdtemp(dir=base, prefix="jappend")
    try:
        writer = JournalWriter(path, durability, map_size=2 << 30, notify=False,
                               writemap=writemap)
        t0 = time.perf_counter()
        for i in range(0, len(records), batch):
            writer.on_batch(records[i : i + batch])
            writer.flush()
        writer.commit()
        elapsed = time.perf_counter() - t0
        writer.close()
        return elapsed
    finally:
        shutil.rmtree(path)


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=2_000_000)
    p.add_argument("--dir", default=None, help="where to create the journals (default: tmp)")
    p.add_argument("--writemap", action="store_true", help="open LMDB with writemap")
    args = p.parse_args()
    base = args.dir or tempfile.gettempdir()
    rows = []
    for durability, batch, cap in ROWS:
        n = min(args.records, cap or args.records)
        records = quote_records(1, n)
        run_once(base, durability, batch, records[: min(n, 50_000)], args.writemap)  # warm-up
        seconds = [run_once(base, durability, batch, records, args.writemap)
                   for _ in range(max(1, args.repeats))]
        median_s = statistics.median(seconds)
        rows.append({
            "durability": durability, "batch": batch, "records": n,
            "records_per_s": n / median_s, "MB_per_s": n * 128 / median_s / 1e6,
            "best_records_per_s": n / min(seconds),
        })
    report("journal_append", rows, args.json)


if __name__ == "__main__":
    main()
