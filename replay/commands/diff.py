"""``ringbus diff JOURNAL_A JOURNAL_B``: the first divergent seq with both records decoded, and
counts of what differs after it. Exit codes: 0 identical; 1 they differ (or one is corrupt);
2 bad usage or a journal that cannot be opened."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("journal_a", help="first journal directory")
    parser.add_argument("journal_b", help="second journal directory")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from replay.commands.replay import emit, guarded

    def body() -> int:
        from pathlib import Path

        from journal.reader import JournalReader
        from journal.store import Journal
        from replay.diff import diff

        if Path(args.journal_a).resolve() == Path(args.journal_b).resolve():
            with Journal.open(args.journal_a) as a:
                result = diff(JournalReader(a), JournalReader(a))
        else:
            with Journal.open(args.journal_a) as a, Journal.open(args.journal_b) as b:
                result = diff(JournalReader(a), JournalReader(b))
        emit(args, result.to_dict(), result.format())
        return 0 if result.identical else 1

    return guarded("diff", body)
