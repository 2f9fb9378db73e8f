"""``ringbus tail JOURNAL [--from-seq N]``: print each record, decoded, as it is committed."""

from __future__ import annotations

import argparse

#: run in a child process by the command line (replay.isolation): the journal may be damaged
READS_JOURNAL = True

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("journal", help="journal directory")
    parser.add_argument("--from-seq", type=int, default=None,
                        help="first seq to print (default: the next record committed)")
    parser.add_argument("--json", action="store_true", help="print JSON lines")


def run(args: argparse.Namespace) -> int:
    import json
    import signal
    import struct
    import sys

    import lmdb

    from domain.codec import RecordError, fields_of, kind_name
    from journal.errors import CorruptionError, JournalError
    from journal.reader import JournalReader
    from journal.store import Journal
    from journal.tailer import Tailer

    stopping = []

    def on_term(signum: int, frame: object) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_term)
    try:
        from_seq = args.from_seq
        if from_seq is None:
            with Journal.open(args.journal, readonly=True) as journal:
                from_seq = JournalReader(journal).last_seq() + 1
        tailer = Tailer(args.journal, from_seq=max(from_seq, 1))
    except CorruptionError as exc:  # LMDB's own pages are damaged: a finding
        print(f"ringbus tail: {exc}", file=sys.stderr)
        return 1
    except JournalError as exc:
        print(f"ringbus tail: {exc}", file=sys.stderr)
        return 2
    out = sys.stdout
    try:
        for batch in tailer.batches(stop=lambda: bool(stopping)):
            for i in range(len(batch)):
                try:
                    fields = fields_of(batch[i : i + 1])
                except RecordError as exc:
                    fields = {"seq": int(batch["seq"][i]), "error": str(exc)}
                name = kind_name(int(batch["kind"][i]))
                fields = {k: (v.rstrip(b"\0").decode("utf-8", "replace")
                              if isinstance(v, bytes) else v) for k, v in fields.items()}
                if args.json:
                    out.write(json.dumps({"kind_name": name, **fields}) + "\n")
                else:
                    body = " ".join(f"{k}={v}" for k, v in fields.items()
                                    if k not in ("seq", "kind"))
                    out.write(f"{fields['seq']} {name} {body}\n")
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
