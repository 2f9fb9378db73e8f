"""``ringbus tail JOURNAL [--from-seq N] [--follow] [--state]``: print each record, decoded, as
it is committed; ``--state`` prints a rolling state summary instead.

Decoded as ``trace`` decodes (:mod:`replay.testing.pretty`): prices and quantities as decimals,
enums by name, currencies as codes, run ids as hex, interned ids as their text (the journal's
STRING records before ``--from-seq`` are read first); never a raw price or the NULL sentinel.
The command ends after printing a RUN_ENDED record unless ``--follow`` (then it keeps following
the next run until SIGTERM / Ctrl-C). ``--state`` folds the journal with the rebuild code
(:mod:`replay.tail_state`): one summary line (or JSON report) per committed batch.
"""

from __future__ import annotations

import argparse

#: run in a child process by the command line (replay.isolation): the journal may be damaged
READS_JOURNAL = True

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("journal", help="journal directory")
    parser.add_argument("--from-seq", type=int, default=None,
                        help="first seq to print (default: the next record committed)")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    parser.add_argument("--follow", action="store_true",
                        help="keep following after RUN_ENDED (default: end there)")
    parser.add_argument("--state", action="store_true",
                        help="print a rolling summary (positions, orders, PnL) per batch")


def run(args: argparse.Namespace) -> int:
    import contextlib
    import json
    import signal
    import struct
    import sys

    import lmdb

    from domain.codec import RecordError
    from domain.kinds import Kind
    from journal.errors import CorruptionError, JournalError
    from journal.reader import JournalReader
    from journal.store import Journal
    from journal.tailer import Tailer
    from replay.testing.pretty import decoded, format_record, strings_until

    stopping = []

    def on_term(signum: int, frame: object) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_term)
    if args.state and args.from_seq is not None:
        print("ringbus tail: --state starts at the journal's end; it takes no --from-seq",
              file=sys.stderr)
        return 2
    try:
        from_seq = args.from_seq
        with Journal.open(args.journal, readonly=True) as journal:
            reader = JournalReader(journal)
            if from_seq is None:
                from_seq = reader.last_seq() + 1
            strings = strings_until(reader, min(from_seq - 1, reader.last_seq()))
        tailer = Tailer(args.journal, from_seq=max(from_seq, 1))
    except CorruptionError as exc:  # LMDB's own pages are damaged: a finding
        print(f"ringbus tail: {exc}", file=sys.stderr)
        return 1
    except JournalError as exc:
        print(f"ringbus tail: {exc}", file=sys.stderr)
        return 2
    out = sys.stdout
    try:
        if args.state:
            return _print_states(args, tailer, lambda: bool(stopping))
        for batch in tailer.batches(stop=lambda: bool(stopping)):
            for i in range(len(batch)):
                rec = batch[i : i + 1]
                kind = int(rec["kind"][0])
                if kind == Kind.STRING:
                    with contextlib.suppress(RecordError):  # a bad part: its id prints as #id
                        strings.apply(rec)
                if not args.json:
                    out.write(format_record(rec, strings) + "\n")
                else:
                    try:
                        doc = decoded(rec, strings)
                    except RecordError as exc:
                        doc = {"seq": int(rec["seq"][0]), "error": str(exc)}
                    out.write(json.dumps(doc) + "\n")
                if kind == Kind.RUN_ENDED and not args.follow:
                    out.flush()
                    return 0
            out.flush()
    except CorruptionError as exc:
        print(f"ringbus tail: {exc}", file=sys.stderr)
        return 1
    except (lmdb.Error, struct.error) as exc:  # LMDB refuses one of its own pages: damage
        print(f"ringbus tail: journal structure damaged after seq {tailer.next_seq - 1}: "
              f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        tailer.close()
    return 0


def _print_states(args: argparse.Namespace, tailer: object, stop: object) -> int:
    import json
    import sys

    from replay.tail_state import rolling_states, summary_line

    for report in rolling_states(tailer, stop, follow=args.follow):
        sys.stdout.write((json.dumps(report) if args.json else summary_line(report)) + "\n")
        sys.stdout.flush()
    return 0
