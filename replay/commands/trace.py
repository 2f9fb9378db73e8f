"""``ringbus trace JOURNAL --seq N``: the causal chain of a record back to its input, and what
it caused. Exit codes: 0 printed; 1 corrupt journal; 2 bad usage or a seq not in the journal."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("journal", help="journal directory")
    parser.add_argument("--seq", type=int, required=True, metavar="N", help="the record to trace")
    parser.add_argument("--window", type=int, default=200_000, metavar="RECORDS",
                        help="how many records after N to scan for effects (default 200000)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from replay.commands.replay import emit, guarded

    def body() -> int:
        from journal.reader import JournalReader
        from journal.store import Journal
        from replay.trace import trace

        with Journal.open(args.journal) as journal:
            found = trace(JournalReader(journal), args.seq, args.window)
        emit(args, found.to_dict(), found.format())
        return 0

    return guarded("trace", body)
