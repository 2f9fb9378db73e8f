"""``ringbus ingest FILE... --catalog DIR``: validate and convert data files once into a catalog.

A FILE may be a NautilusTrader ParquetDataCatalog directory (detected by its ``data/quote_tick``,
``trade_tick``, ``bar`` or ``order_book_delta`` layout, or ``--format nautilus-parquet``): each
of its instruments becomes one catalog journal (:mod:`replay.parquet_import`).

Exit codes: 0 every file was ingested; 2 bad usage or bad input (a data file, an instrument, a
catalog that is not one), reported on stderr as one line naming the file, line / record, field
and value. See :mod:`replay.catalog`.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="data files (format detected) or NautilusTrader catalog directories")
    parser.add_argument("--catalog", required=True, metavar="DIR",
                        help="catalog directory (created when missing; appended to otherwise)")
    parser.add_argument("--instrument", metavar="ID",
                        help="instrument of files that do not name their own")
    parser.add_argument("--data-option", action="append", default=[], metavar="KEY=VALUE",
                        help="loader option for every file (e.g. size_precision=7)")
    parser.add_argument("--format", default="auto", choices=("auto", "nautilus-parquet"),
                        help="auto: detect each FILE; nautilus-parquet: FILEs are NautilusTrader "
                        "ParquetDataCatalog directories (data/<type>/<instrument>/*.parquet)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    import attrs

    from replay.commands.backtest import bad_input_errors
    from replay.parquet_ingest import ingest_paths
    from replay.strategy_registry import parse_params

    try:
        entries, notes = ingest_paths(args.files, args.catalog, fmt=args.format,
                                      instrument=args.instrument,
                                      options=parse_params(args.data_option))
    except bad_input_errors() as exc:
        sys.stderr.write(f"ringbus ingest: error: {exc}\n")
        return 2
    for note in notes:
        sys.stderr.write(f"ringbus ingest: note: {note}\n")
    if args.json:
        print(json.dumps({"catalog": args.catalog,
                          "ingested": [attrs.asdict(e) for e in entries]}, sort_keys=True))
        return 0
    for e in entries:
        print(f"{e.symbol:<24} {e.format:<14} {e.records:>12,} records  -> {args.catalog}/{e.dir}")
    return 0
