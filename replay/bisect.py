"""Bisect: the first seq at which an invariant fails, with the state there.

Design contract:
- the invariant is a built-in (``builtin:position_matches_fills``, see
  :mod:`replay.testing.invariants`) or the user's ``module:function`` taking ``(state,
  record)`` and returning None or a message; it is imported only because the user named it
  (a journal never names code); a spec that does not resolve, or names a whole-journal
  invariant (``snapshot_tail``, ``reexecution``: not bisectable), raises
  :class:`replay.testing.invariants.InvariantSpecError` naming it;
- the journal is folded once, record by record, with the invariant checked after each record
  it applies to (:func:`replay.testing.check.check`); an invariant need not be monotonic, so
  the answer is the first violation, not a binary search's guess;
- the state at the failing seq is rebuilt from the journal (snapshots allowed) and summarised
  by :func:`replay.state_report.state_report`; a corrupt batch before any violation is
  reported with its seq range.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from replay.testing.invariants import check_bisectable, resolve


@attrs.frozen
class BisectResult:
    """The first failing seq (0: the invariant held everywhere) and what was found there."""

    path: str
    invariant: str
    seq: int
    message: str = ""
    record: str = ""
    state: dict[str, Any] | None = None
    corruption: dict[str, Any] | None = None
    n_records: int = 0
    excerpt: dict[str, Any] | None = None
    errors: tuple[dict[str, Any], ...] = ()

    @property
    def failed(self) -> bool:
        return self.seq != 0

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "invariant": self.invariant, "failed": self.failed,
                "seq": self.seq or None, "message": self.message, "record": self.record,
                "excerpt": self.excerpt, "state": self.state, "corruption": self.corruption,
                "errors": list(self.errors), "n_records": self.n_records}


def bisect(path: str | Path, spec: str) -> BisectResult:
    """Returns the first seq of the journal at ``path`` where the invariant ``spec`` fails."""
    from journal.store import Journal
    from replay.rebuild import rebuild
    from replay.state_report import state_report
    from replay.testing.check import check

    if isinstance(spec, str):
        check_bisectable(spec)
    inv = resolve(spec)
    result = check(path, [inv])
    first = result.first
    errors = tuple(e.to_dict() for e in result.errors)
    if first is None:
        return BisectResult(str(path), inv.name, 0, corruption=result.corruption,
                            n_records=result.n_records, errors=errors)
    with Journal.open(path) as journal:
        rebuilt = rebuild(journal, first.seq)
        state = state_report(rebuilt.kernel, rebuilt.seq, rebuilt.ts_init)
    return BisectResult(str(path), inv.name, first.seq, first.message, first.record, state,
                        result.corruption, result.n_records, first.excerpt, errors)
