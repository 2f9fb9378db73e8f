"""``ringbus replay JOURNAL [--to-seq N | --to-time ISO8601]``: the state after a record.

Exit codes: 0 printed; 1 the journal is corrupt before the target (the seq range is named);
2 bad usage, a journal that cannot be opened, a target outside the journal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any


#: run in a child process by the command line (replay.isolation): the journal may be damaged
READS_JOURNAL = True

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("journal", help="journal directory")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--to-seq", type=int, metavar="N", help="state after record N")
    where.add_argument("--to-time", metavar="TIME", help="state after the last record whose "
                       "ts_init <= this time: integer ns, YYYY-MM-DD, or an ISO 8601 time with "
                       "T or a space, up to 9 fraction digits (UTC when no offset)")
    parser.add_argument("--no-snapshots", action="store_true",
                        help="fold from the run's first record, ignoring stored snapshots")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def parse_iso_ns(text: str) -> int:
    """Returns ns since the epoch of a ``--to-time`` value (see :mod:`replay.time_arg`)."""
    from replay.time_arg import parse_time_ns

    return parse_time_ns(text)


def guarded(name: str, body: Callable[[], int]) -> int:
    """Runs a command body, mapping errors to exit codes: corruption 1, bad input 2."""
    import struct
    import sys

    import lmdb

    from journal.errors import CorruptionError, JournalError

    try:
        return body()
    except CorruptionError as exc:
        sys.stderr.write(f"ringbus {name}: corrupt journal {exc.path}: seq {exc.seq_range[0]}.."
                         f"{exc.seq_range[1]}: {exc.reason}; nothing at or after it was applied\n")
        return 1
    except (lmdb.Error, struct.error) as exc:  # LMDB refuses one of its own pages: damage
        sys.stderr.write(f"ringbus {name}: journal structure damaged: {type(exc).__name__}: "
                         f"{exc}\n")
        return 1
    except (JournalError, ValueError, OSError) as exc:
        sys.stderr.write(f"ringbus {name}: error: {exc}\n")
        return 2
    except RuntimeError as exc:  # a record the state cannot take (crash-only kernel): a finding
        sys.stderr.write(f"ringbus {name}: the state fold stopped: {type(exc).__name__}: {exc}\n")
        return 1


def emit(args: argparse.Namespace, doc: dict[str, Any], text: str) -> None:
    import json

    print(json.dumps(doc, sort_keys=True) if args.json else text)


def run(args: argparse.Namespace) -> int:
    def body() -> int:
        from journal.reader import JournalReader
        from journal.store import Journal
        from replay.rebuild import ReplayError, rebuild
        from replay.state_report import format_report, state_report

        with Journal.open(args.journal) as journal:
            target = args.to_seq
            if args.to_time is not None:
                ts = parse_iso_ns(args.to_time)
                reader = JournalReader(journal)
                after = reader.seq_at_or_after_ts(ts + 1)
                target = (after - 1) if after is not None else reader.last_seq()
                if target < 1:
                    raise ReplayError(f"--to-time {args.to_time}: no record of {args.journal} has "
                                      f"ts_init <= {ts}")
            rebuilt = rebuild(journal, target, use_snapshots=not args.no_snapshots)
            report = state_report(rebuilt.kernel, rebuilt.seq, rebuilt.ts_init)
        report["snapshot_seq"] = rebuilt.snapshot_seq or None
        if rebuilt.notes:
            report["notes"] = list(rebuilt.notes)
            if not args.json:
                for note in rebuilt.notes:
                    sys.stderr.write(f"note: {note}\n")
        emit(args, report, format_report(report))
        return 0

    return guarded("replay", body)
