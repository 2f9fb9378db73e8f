"""The single-thread drain loop: runs every consumer until the ring is drained.

Design contract:
- consumers run in the graph's topological order; each gets everything available to it (up to
  the cursor and its dependencies) as one batch (two on a wrap-around);
- records a consumer emits are published right after its handler returns and are processed in
  the same ``drain`` call, in seq order, by every consumer;
- ``drain`` returns only when every consumer has reached the cursor and every outbox is empty;
- if emitted records do not fit, RingFullError propagates (loud, typed); nothing is dropped.

Hot path: ``publish_and_drain`` (one input record, then drain) is what the kernel calls per input;
measured by ``perf/one_to_three_diamond.py`` (row ``one_at_a_time_3_consumers``).
"""

from __future__ import annotations

import numpy as np

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
        self._fast = tuple((c._on_batch, c.sequence, c.outbox) for c in self.consumers)
        # The cursor at which the last drain left every consumer (-1: unknown).
        self._drained_at = -1

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
                self._drained_at = ring.cursor
                return total

    def publish_and_drain(self, record: np.ndarray | np.void) -> int:
        """Publishes one record, drains, and returns the record's seq (the one-at-a-time path).

        When every consumer had reached the cursor before the publish (the usual case), the one
        new record is handed to each consumer as the same 1-record view, with no barrier
        arithmetic; as soon as a handler emits records the general drain takes over.
        """
        ring = self.ring
        drained = ring.cursor == self._drained_at
        seq = ring.publish_record(record)
        if drained:
            idx = seq & (ring.capacity - 1)
            view = ring.buffer[idx : idx + 1]
            for on_batch, sequence, outbox in self._fast:
                on_batch(view)
                sequence.value = seq
                if outbox is not None and outbox._pending:
                    outbox.flush_into(ring)
                    break
            else:
                self._drained_at = seq
                return seq
        self.drain()
        return seq

    def is_drained(self) -> bool:
        """Returns True when every consumer has reached the cursor."""
        cursor = self.ring.cursor
        return all(c.sequence.value == cursor for c in self.consumers)
