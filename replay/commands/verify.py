"""``ringbus verify JOURNAL [--reexecute [--strategy module:Class ...] [--out DIR]]``: exit 0
clean (or a crashed last run), 1 corrupt or (with ``--reexecute``) a divergence, 2 unreadable or
bad usage. With ``--out`` the re-executed records go to a new journal instead of being compared
(re-running the original inputs with fixed code), and a divergence is no finding.

``--reexecute`` builds the run's kernel from its manifest, feeds it the journal's INPUT
records and compares every record it produces with the journal's; the strategies named in the
manifest are built when they are built-ins; a ``module:Class`` the journal names is code the
journal chooses, so it is imported only with ``--trust-journal-code`` (or give the code yourself
with ``--strategy``), and never from the working directory unless that is on ``sys.path``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_CODES = {"CLEAN": 0, "CRASHED_RUN": 0, "CORRUPT": 1, "UNREADABLE": 2}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from replay.dist.journals import add_fanout_arguments

    parser.add_argument("journal", nargs="+", help="journal directory; several run in "
                        "parallel (Dask), each reported as alone, then a summary")
    add_fanout_arguments(parser)
    parser.add_argument("--reexecute", action="store_true",
                        help="also re-execute the INPUT records and compare every record")
    parser.add_argument("--strategy", action="append", default=[], metavar="NAME|module:Class",
                        help="with --reexecute: run these strategies (e.g. your fixed code) "
                        "instead of the manifest's; repeat for several, in the run's order")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="with --strategy: a strategy parameter; repeatable")
    parser.add_argument("--trust-journal-code", action="store_true",
                        help="with --reexecute: import the module:Class strategies the journal's "
                        "manifest names (runs that code; default: built-in strategies only)")
    parser.add_argument("--out", metavar="DIR",
                        help="with --reexecute: write the re-executed records to a new journal "
                        "DIR instead of comparing them (then `ringbus diff JOURNAL DIR`)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _strategies(args: argparse.Namespace) -> list[Any] | None:
    if not args.strategy:
        return None
    from replay.strategy_registry import build_strategy, parse_params

    params = parse_params(args.param)
    return [build_strategy(name, params) for name in args.strategy]


def extra_checks(args: argparse.Namespace) -> Sequence[Any]:
    """Returns the further checks the options ask for: re-execution with ``--reexecute``.

    The re-execution's result is kept on ``args.reexecution`` for the report."""
    args.reexecution = None
    if not getattr(args, "reexecute", False):
        return ()
    from journal.verify import Finding
    from replay.reexecute import reexecute

    strategies = _strategies(args)

    def check(journal: Any, result: Any) -> list[Any]:
        outcome = reexecute(journal, strategies=strategies, out=args.out,
                            trust_code=args.trust_journal_code)
        args.reexecution = outcome
        if outcome.ok or args.out is not None:
            return []
        return [Finding((outcome.seq, outcome.seq), f"re-execution diverges: {outcome.why}",
                        str(result.path))]

    return (check,)


def _out_refusal(out: str | None) -> str:
    """Returns why ``--out`` cannot take the new journal ("" when it can: new or empty)."""
    if out is None:
        return ""
    path = Path(out)
    if path.exists() and not path.is_dir():
        return f"--out {out}: exists and is not a folder; give a new or empty folder"
    if path.is_dir() and any(path.iterdir()):
        return (f"--out {out}: the folder is not empty (a journal there would be appended to "
                "or mixed with other files); give a new or empty folder")
    return ""


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from journal.verify import verify_journal

    if (args.strategy or args.out or args.param or args.trust_journal_code) \
            and not args.reexecute:
        sys.stderr.write("ringbus verify: error: --strategy, --param, --out and "
                         "--trust-journal-code go with --reexecute\n")
        return 2
    refusal = _out_refusal(args.out)
    if refusal:
        sys.stderr.write(f"ringbus verify: error: {refusal}\n")
        return 2
    if len(args.journal) > 1 or args.scheduler:
        from replay.dist.journals import run_many

        if args.out:
            sys.stderr.write("ringbus verify: error: --out goes with one journal\n")
            return 2
        return run_many("verify", args, args.journal)
    args.journal = args.journal[0]
    try:
        result = verify_journal(args.journal, checks=extra_checks(args))
    except ValueError as exc:  # a manifest this build cannot re-execute (names refused...)
        sys.stderr.write(f"ringbus verify: error: {exc}\n")
        return 2
    outcome = getattr(args, "reexecution", None)
    if args.json:
        doc = result.to_dict()
        if result.status.value == "UNREADABLE":  # the error, named as every command names it
            doc["error"] = result.message
        if outcome is not None:
            doc["reexecution"] = outcome.to_dict()
            if args.out is not None:
                doc["out_journal"] = str(Path(args.out).resolve())
        print(json.dumps(doc, sort_keys=True))
        return EXIT_CODES[result.status.value]
    out = sys.stdout if result.status.value in ("CLEAN", "CRASHED_RUN") else sys.stderr
    if result.status.value == "UNREADABLE":
        out.write(f"UNREADABLE {result.message}\n")
        return 2
    out.write(f"{result.status.value} {result.path}: seq {result.first_seq}..{result.last_seq}, "
              f"{result.n_records} records checked in {result.n_batches} batches\n")
    from journal.runs import format_run_id

    for run_id in result.crashed_runs:
        out.write(f"  run {format_run_id(run_id)} ended without RUN_ENDED (crashed; recoverable prefix)\n")
    if result.open_run is not None:
        out.write(f"  run {format_run_id(result.open_run)} is open (a live writer holds the journal)\n")
    for f in result.findings:
        out.write(f"  seq {f.seq_range[0]}..{f.seq_range[1]}: {f.reason} [{f.file}]\n")
    if outcome is not None and args.out is not None:
        out.write(f"re-executed {outcome.n_inputs} inputs into {outcome.n_records} records, "
                  f"written to the new journal {Path(args.out).resolve()}\n"
                  f"  compare: ringbus diff {args.journal} {args.out}\n")
    elif outcome is not None:
        out.write(outcome.format() + "\n")
    return EXIT_CODES[result.status.value]
