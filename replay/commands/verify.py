"""``ringbus verify JOURNAL``: exit 0 clean (or a crashed last run), 1 corrupt, 2 unreadable."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

EXIT_CODES = {"CLEAN": 0, "CRASHED_RUN": 0, "CORRUPT": 1, "UNREADABLE": 2}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("journal", help="journal directory")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def extra_checks(args: argparse.Namespace) -> Sequence[Any]:
    """Returns the further checks the options ask for (the hook for re-execution); none yet."""
    return ()


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from journal.verify import verify_journal

    result = verify_journal(args.journal, checks=extra_checks(args))
    if args.json:
        print(json.dumps(result.to_dict(), sort_keys=True))
        return EXIT_CODES[result.status.value]
    out = sys.stdout if result.status.value in ("CLEAN", "CRASHED_RUN") else sys.stderr
    if result.status.value == "UNREADABLE":
        out.write(f"UNREADABLE {result.message}\n")
        return 2
    out.write(f"{result.status.value} {result.path}: seq {result.first_seq}..{result.last_seq}, "
              f"{result.n_records} records checked in {result.n_batches} batches\n")
    for run_id in result.crashed_runs:
        out.write(f"  run {run_id} ended without RUN_ENDED (crashed; recoverable prefix)\n")
    if result.open_run is not None:
        out.write(f"  run {result.open_run} is open (a live writer holds the journal)\n")
    for f in result.findings:
        out.write(f"  seq {f.seq_range[0]}..{f.seq_range[1]}: {f.reason} [{f.file}]\n")
    return EXIT_CODES[result.status.value]
