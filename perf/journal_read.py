"""Journal full read scan: records/s of checked batch views, and of a copy into one array.

Writes ``--records`` QUOTE records once (durability none, 4095-record values), then times a
full ``JournalReader.batches()`` scan (zero-copy views, every checksum and seq verified) and
``records_between()`` (the same into one numpy array); medians of ``--repeats`` runs.
"""

from __future__ import annotations

import shutil
import tempfile

from _common import median_rate, parser, report

from journal import Journal, JournalReader
from journal.synth import write_quotes


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=4_000_000)
    p.add_argument("--dir", default=None)
    args = p.parse_args()
    path = tempfile.mkdtemp(dir=args.dir, prefix="jread")
    try:
        write_quotes(path, args.records, chunk=4096, durability="none", notify=False,
                     map_size=1 << 30)
        with Journal.open(path) as journal:
            reader = JournalReader(journal)

            def scan() -> int:
                n = 0
                for batch in reader.batches():
                    n += len(batch)
                assert n == args.records
                return n

            def copy() -> int:
                return len(reader.records_between())

            scan_rate, _ = median_rate(scan, args.records, args.repeats)
            copy_rate, _ = median_rate(copy, args.records, args.repeats)
        rows = [
            {"workload": "scan (checked views)", "records": args.records,
             "records_per_s": scan_rate, "MB_per_s": scan_rate * 128 / 1e6},
            {"workload": "scan + copy to one array", "records": args.records,
             "records_per_s": copy_rate, "MB_per_s": copy_rate * 128 / 1e6},
        ]
    finally:
        shutil.rmtree(path)
    report("journal_read", rows, args.json)


if __name__ == "__main__":
    main()
