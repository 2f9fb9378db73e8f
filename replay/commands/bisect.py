"""``ringbus bisect JOURNAL --invariant module:function|builtin:NAME``: the first seq at which
the invariant fails, with the state there. Exit codes: 0 it held everywhere; 1 it fails (or the
journal is corrupt, or the invariant raised); 2 bad usage, an invariant that does not resolve,
a journal that cannot be opened, a whole-journal invariant (``snapshot_tail``, ``reexecution``:
nothing to bisect; ``ringbus check`` runs them)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from replay.bisect import BisectResult


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("journal", help="journal directory")
    parser.add_argument("--invariant", required=True, metavar="module:function|builtin:NAME",
                        help="a built-in invariant (builtin:position_matches_fills) or your own "
                        "function(state, record) -> None | message, imported by name")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _text(r: BisectResult) -> str:
    from replay.state_report import format_report
    from replay.testing.invariants import strip_seq

    if r.corruption is not None:
        c = r.corruption
        return (f"corrupt journal {c['file']}: seq {c['seq_range'][0]}..{c['seq_range'][1]}: "
                f"{c['reason']}; checked up to it, no violation of {r.invariant} before")
    if r.errors:
        e = r.errors[0]
        return f"invariant {e['invariant']} raised at seq {e['seq']}: {e['error']}"
    if not r.failed or r.state is None:
        return f"{r.invariant} holds after every record ({r.n_records} records)"
    return (f"{r.invariant} first fails at seq {r.seq}: {strip_seq(r.message, r.seq)}\n"
            f"record: {r.record}\nstate there:\n{format_report(r.state)}")


def run(args: argparse.Namespace) -> int:
    from replay.commands.replay import emit, guarded

    def body() -> int:
        from replay.bisect import bisect

        result = bisect(args.journal, args.invariant)
        emit(args, result.to_dict(), _text(result))
        bad = result.failed or result.corruption is not None or bool(result.errors)
        return 1 if bad else 0

    return guarded("bisect", body)
