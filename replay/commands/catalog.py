"""``ringbus catalog DIR``: list a data catalog's instruments, time ranges and record counts.

Exit codes: 0 listed; 2 the directory is not a catalog. ``--verify`` also verifies each
instrument's journal (exit 1 if one is not clean). See :mod:`replay.catalog`.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("catalog", metavar="DIR", help="catalog directory (ringbus ingest)")
    parser.add_argument("--verify", action="store_true",
                        help="verify every instrument's journal as `ringbus verify` does")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _utc(ns: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ns / 1e9, dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def run(args: argparse.Namespace) -> int:
    import json
    import sys
    from pathlib import Path

    import attrs

    from replay.catalog import CatalogError, read_catalog

    try:
        entries = read_catalog(args.catalog)
    except CatalogError as exc:
        sys.stderr.write(f"ringbus catalog: error: {exc}\n")
        return 2
    status = {}
    if args.verify:
        from journal.verify import verify_journal

        status = {e.symbol: verify_journal(Path(args.catalog) / e.dir).status.value
                  for e in entries}
    bad = any(s != "CLEAN" for s in status.values())
    if args.json:
        rows = [{**attrs.asdict(e), **({"verify": status[e.symbol]} if status else {})}
                for e in entries]
        print(json.dumps({"catalog": args.catalog, "instruments": rows}, sort_keys=True))
        return 1 if bad else 0
    for e in entries:
        print(f"{e.symbol:<24} {e.format:<14} {e.records:>12,} records  "
              f"{_utc(e.first_ts_init)} .. {_utc(e.last_ts_init)} UTC  book L{e.book_level}"
              + (f"  {status[e.symbol]}" if status else ""))
    return 1 if bad else 0
