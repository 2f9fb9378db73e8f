"""Workload: the real ES MBO day (68,792 records) through the L3 book, and the DBN loader alone.

Rows: ``l3_apply`` (one ``L3Book.apply`` over the whole pre-loaded file, fresh book each run),
``l3_apply_checked`` (the same, reporting crossed-after-LAST indices), ``l3_apply_chunks_4096``
(the file in 4,096-record batches), ``l3_apply_one_per_call`` (one record per call, the
causality-bound path of a ring consumer),
``dbn_load`` (decompress, decode and convert the file to records). Target: >= 2 M records/s for
the book alone. Median of ``--repeats`` runs after one warm-up (numba compiled before timing).
"""

from __future__ import annotations

import os
from pathlib import Path

from _common import median_rate, parser, report

from engines.book import L3Book
from engines.book.base import DELTA_DTYPE
from replay.loaders import load_dbn

DATA = Path(os.environ.get("RINGBUS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
ES = DATA / "esh4-glbx-mdp3-20231225.mbo.dbn.zst"
IID = 17077


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    records = load_dbn(ES, IID)
    n = len(records)
    chunks = [records[i:i + 4096] for i in range(0, n, 4096)]

    def apply_chunks() -> None:
        book = L3Book(IID)
        for chunk in chunks:
            book.apply(chunk)

    deltas = records.view(DELTA_DTYPE)  # viewed once, as a ring consumer would

    def apply_one_at_a_time() -> None:
        book = L3Book(IID)
        for i in range(n):
            book.apply(deltas[i:i + 1])

    workloads = {
        "l3_apply": lambda: L3Book(IID).apply(records),
        "l3_apply_checked": lambda: L3Book(IID).apply_checked(records),
        "l3_apply_chunks_4096": apply_chunks,
        "l3_apply_one_per_call": apply_one_at_a_time,
        "dbn_load": lambda: load_dbn(ES, IID, price_precision=2),
        "dbn_load_scan_precision": lambda: load_dbn(ES, IID),
    }
    rows = []
    for name, run in workloads.items():
        rate, seconds = median_rate(run, n, args.repeats)
        rows.append({"workload": name, "records": n, "records_per_s": rate,
                     "median_ms": 1000 * sorted(seconds)[len(seconds) // 2]})
    report("mbo_book_replay (ES MBO file, L3 book)", rows, args.json)


if __name__ == "__main__":
    main()
