"""The invariant the incident broke, as a user invariant for ``ringbus bisect``.

``ringbus bisect JOURNAL --invariant incident_checks:position_within_limit`` (with this folder on
``PYTHONPATH``) finds the first record after which a position exceeds the strategy's limit.
"""

from __future__ import annotations

from typing import Any

from domain.kinds import Kind
from replay.testing.invariants import invariant

#: The strategy's configured ``max_position`` (whole units).
MAX_POSITION = 200_000


@invariant(kinds=[Kind.POSITION_OPENED, Kind.POSITION_CHANGED])
def position_within_limit(state: Any, rec: Any) -> str | None:
    """A position never exceeds ``MAX_POSITION`` units on either side."""
    qty = abs(rec.signed_qty) // 10 ** rec.size_precision
    if qty > MAX_POSITION:
        return (f"seq {rec.seq}: position {rec.position_id} holds {qty} units, over the limit "
                f"{MAX_POSITION}")
    return None
