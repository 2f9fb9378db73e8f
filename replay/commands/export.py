"""``ringbus export --parquet OUT_DIR SOURCE``: market data in NautilusTrader's catalog layout.

SOURCE is a ringbus catalog (``ringbus ingest``) or one journal; OUT_DIR receives
``data/<type>/<instrument>/<start>_<end>.parquet`` files that NautilusTrader 1.221's
``ParquetDataCatalog(OUT_DIR)`` loads (:mod:`replay.parquet_export`). Exit codes: 0 exported;
2 bad usage or a source that cannot be exported, reported on stderr as one line.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--parquet", required=True, metavar="OUT_DIR",
                        help="write NautilusTrader ParquetDataCatalog files under OUT_DIR")
    parser.add_argument("source", metavar="SOURCE", help="a ringbus catalog DIR or a journal")
    parser.add_argument("--instrument", metavar="ID", help="export only this instrument")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    import attrs

    from replay.commands.backtest import bad_input_errors
    from replay.parquet_export import export_parquet

    try:
        result = export_parquet(args.source, args.parquet, instrument=args.instrument)
    except bad_input_errors() as exc:
        sys.stderr.write(f"ringbus export: error: {exc}\n")
        return 2
    if args.json:
        print(json.dumps({"parquet": args.parquet, "files": [attrs.asdict(f) for f in
                                                             result.files],
                          "skipped": result.skipped}, sort_keys=True))
        return 0
    for f in result.files:
        print(f"{f.kind:<17} {f.identifier:<40} {f.rows:>12,} rows  -> {f.path}")
    for symbol, n in result.skipped.items():
        print(f"{symbol}: {n:,} book-delta reports (TRADE / FILL / NONE) not written: "
              "order_book_delta has no action for them")
    return 0
