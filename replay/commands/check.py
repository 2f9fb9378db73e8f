"""``ringbus check JOURNAL [--invariant NAME|module:function ...]``: run invariants over a journal.

Exit codes: 0 every invariant held; 1 a violation, an invariant that raised, or corruption (the
check stops at the corrupted range, named); 2 the journal cannot be opened or an ``--invariant``
names nothing importable. Without ``--invariant`` every built-in record invariant runs;
``--whole-journal`` adds snapshot + tail and re-execution.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from replay.dist.journals import add_fanout_arguments

    parser.add_argument("journal", nargs="*", help="journal directory; several run in "
                        "parallel (Dask), each reported as alone, then a summary")
    add_fanout_arguments(parser)
    parser.add_argument("--invariant", action="append", default=None, metavar="SPEC",
                        help="builtin:<name>, a built-in name, or module:function (repeatable); "
                             "default: every built-in record invariant")
    parser.add_argument("--allow-crossed", action="append", default=[], metavar="HH:MM-HH:MM",
                        help="UTC time-of-day window when a book may be crossed (auction, "
                             "pre-open); repeatable")
    parser.add_argument("--auction-flags", type=lambda s: int(s, 0), default=0, metavar="MASK",
                        help="record flag bits that exempt a crossed book (e.g. 0x20)")
    parser.add_argument("--no-infer-status", action="store_true",
                        help="do not infer an L3 book's pre-open from a crossed book no trade "
                        "printed on (only INSTRUMENT_STATUS records then exempt a crossed book)")
    parser.add_argument("--depth", type=int, default=5,
                        help="levels compared by the L3 -> L2 check at each LAST (default 5)")
    parser.add_argument("--whole-journal", action="store_true",
                        help="also run the whole-journal invariants (snapshot_tail, reexecution)")
    parser.add_argument("--trust-journal-code", action="store_true",
                        help="with --whole-journal: let reexecution import the module:Class "
                        "strategies the journal's manifest names (default: built-ins only)")
    parser.add_argument("--keep-going", action="store_true",
                        help="report the first violation of every invariant, not only the first")
    parser.add_argument("--list", action="store_true", help="list the built-in invariants and exit")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def catalogue() -> list[dict[str, Any]]:
    """Returns every built-in invariant: name, when it runs, whether ``bisect`` takes it, and
    its full description (the function's docstring)."""
    from replay.testing.invariants import BUILTINS, JOURNAL_BUILTINS
    from replay.testing.journal_checks import JOURNAL_CHECKS

    out = []
    for name, inv in BUILTINS.items():
        when = "LAST records" if inv.at_last else "every record" if inv.kinds is None else \
            "records of its kinds"
        out.append({"name": f"builtin:{name}", "runs_on": when, "bisectable": True,
                    "default": True, "description": " ".join(inv.doc.split())})
    for name in JOURNAL_BUILTINS:
        doc = JOURNAL_CHECKS[name].__doc__ or ""
        out.append({"name": f"builtin:{name}", "runs_on": "whole journal", "bisectable": False,
                    "default": False, "description": " ".join(doc.split())})
    return out


def _list(as_json: bool) -> int:
    import json

    entries = catalogue()
    if as_json:
        print(json.dumps({"invariants": entries}, sort_keys=True))
        return 0
    for e in entries:
        tag = e["runs_on"] + ("" if e["bisectable"] else ", not bisectable")
        print(f"{e['name']:<32} [{tag}] {e['description']}")
    return 0


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from journal.errors import JournalError
    from replay.testing.check import check
    from replay.testing.invariants import BUILTINS, JOURNAL_BUILTINS, InvariantSpecError
    from replay.testing.state import CheckConfig

    if args.list:
        return _list(args.json)
    if not args.journal:
        print("ringbus check: a JOURNAL is required (or --list)", file=sys.stderr)
        return 2
    if len(args.journal) > 1 or args.scheduler:
        from replay.dist.journals import run_many

        return run_many("check", args, args.journal)
    args.journal = args.journal[0]
    try:
        config = CheckConfig(crossed_windows_utc=tuple(args.allow_crossed),
                             crossed_exempt_flags=args.auction_flags, depth=args.depth,
                             infer_trading_status=not args.no_infer_status,
                             trust_journal_code=args.trust_journal_code)
        specs = list(args.invariant) if args.invariant else list(BUILTINS)
        if args.whole_journal:
            specs += [f"builtin:{name}" for name in JOURNAL_BUILTINS]
        result = check(args.journal, specs, config=config, keep_going=args.keep_going,
                       progress=not args.json)
    except (InvariantSpecError, ValueError) as exc:
        print(f"ringbus check: {exc}", file=sys.stderr)
        return 2
    except JournalError as exc:
        print(f"ringbus check: {args.journal}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_dict(), sort_keys=True, default=str))
    else:
        _print(result, args.journal, sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


def _print(result: Any, path: str, out: Any) -> None:
    from replay.testing.invariants import strip_seq

    status = "OK" if result.ok else "FAILED"
    out.write(f"{status} {path}: {result.n_records} records (seq {result.first_seq}.."
              f"{result.last_seq}), {len(result.invariants)} invariants\n")
    for v in result.violations:
        out.write(f"  VIOLATION {v.invariant} at seq {v.seq}: {strip_seq(v.message, v.seq)}\n")
        if v.record:
            out.write(f"    record: {v.record.strip()}\n")
        for key, value in v.excerpt.items():
            out.write(f"    {key}: {value}\n")
    for e in result.errors:
        out.write(f"  ERROR in invariant {e.invariant} at seq {e.seq}: {e.error}\n")
        out.write("".join(f"    {line}\n" for line in e.traceback.rstrip().splitlines()))
    if result.corruption is not None:
        c = result.corruption
        out.write(f"  CORRUPT seq {c['seq_range'][0]}..{c['seq_range'][1]}: {c['reason']} "
                  f"[{c['file']}]; nothing from there on was checked\n")
    for s in result.skipped:
        out.write(f"  skipped {s}\n")
