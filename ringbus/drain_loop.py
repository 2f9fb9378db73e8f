"""The single-thread drain loop: runs every consumer until the ring is drained.

Design contract:
- consumers run in the graph's topological order; each gets everything available to it (up to
  the cursor and its dependencies) as one batch (two on a wrap-around);
- records a consumer emits are published right after its handler returns and are processed in
  the same ``drain`` call, in seq order, by every consumer;
- ``drain`` returns only when every consumer has reached the cursor and every outbox is empty;
- if emitted records do not fit, RingFullError propagates (loud, typed); nothing is dropped.

The kernel's one-record fast path is its own ``publish_one`` (engines/kernel_publish.py): it
hands a record to the journal and the fused consumer straight from its slot and calls ``drain``
only when something was emitted. ``drain`` is measured by ``perf/one_to_three_diamond.py``.
"""

from __future__ import annotations

from ringbus.consumer import Consumer
from ringbus.graph import ConsumerGraph
from ringbus.ring import Ring


class DrainLoop:
    """Runs a bound consumer graph over a ring on the calling (kernel) thread."""

    def __init__(self, ring: Ring, graph: ConsumerGraph) -> None:
        self.ring = ring
        self.consumers: list[Consumer] = graph.bind(ring)
        self._by_name = {c.name: c for c in self.consumers}
        self._consume = tuple(c.consume for c in self.consumers)

    def consumer(self, name: str) -> Consumer:
        """Returns the consumer called ``name`` (KeyError names it when unknown)."""
        return self._by_name[name]

    def drain(self) -> int:
        """Runs consumers until all reached the cursor; returns the records handed to handlers.

        The count sums over consumers (3 consumers each seeing 1 record count 3).
        """
        ring = self.ring
        total = 0
        while True:
            cursor_before = ring.cursor
            for consume in self._consume:
                total += consume()
            # With no record published during the pass, each consumer (in topological order)
            # reached min(cursor, its dependencies) == cursor: the ring is drained.
            if ring.cursor == cursor_before:
                return total

    def is_drained(self) -> bool:
        """Returns True when every consumer has reached the cursor."""
        cursor = self.ring.cursor
        return all(c.sequence.value == cursor for c in self.consumers)
