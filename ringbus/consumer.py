"""A batch consumer: a handler, its sequence, and the sequences it must stay behind.

Design contract:
- a handler implements ``on_batch(batch)``; ``batch`` is a contiguous read view of published
  records in seq order; a window that wraps around the ring end is delivered as two calls;
- the view is valid only during the call (the slots are reused later): copy what you keep;
- the consumer's sequence moves to the end of each batch after the handler returns, never past
  the cursor nor past any dependency's sequence (its barrier);
- records the handler emitted into its outbox are published right after each call returns.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from ringbus.outbox import Outbox
from ringbus.ring import Ring
from ringbus.sequence import Sequence


@runtime_checkable
class BatchHandler(Protocol):
    """Anything with ``on_batch(batch: np.ndarray) -> None``."""

    def on_batch(self, batch: np.ndarray) -> None:
        """Handles a contiguous view of published records in seq order."""


class Consumer:
    """A named handler bound to a ring, with its own sequence and dependency barrier."""

    __slots__ = ("name", "handler", "sequence", "dependencies", "outbox", "_ring", "_on_batch")

    def __init__(
        self,
        name: str,
        handler: BatchHandler,
        ring: Ring,
        dependencies: tuple[Consumer, ...] = (),
        outbox: Outbox | None = None,
    ) -> None:
        self.name = name
        self.handler = handler
        self.sequence = Sequence(ring.cursor + 1, name)
        self.dependencies = dependencies
        self.outbox = outbox
        self._ring = ring
        self._on_batch = handler.on_batch

    def available(self) -> int:
        """Returns the highest seq this consumer may process now: min(cursor, dependencies)."""
        hi = self._ring.cursor
        for dep in self.dependencies:
            v = dep.sequence.value
            if v < hi:
                hi = v
        return hi

    def consume(self, limit: int = 0) -> int:
        """Hands every available record (at most ``limit`` when > 0) to the handler; returns how many.

        Emitted records are published after each handler call (RingFullError propagates).
        """
        seq = self.sequence
        start = seq.value
        ring = self._ring
        hi = ring.cursor
        for dep in self.dependencies:
            v = dep.sequence.value
            if v < hi:
                hi = v
        if limit > 0 and hi > start + limit:
            hi = start + limit
        if hi <= start:
            return 0
        cap = ring.capacity
        i = (start + 1) & (cap - 1)
        n = hi - start
        buf = ring.buffer
        outbox = self.outbox
        if i + n <= cap:
            self._on_batch(buf[i : i + n])
            seq.value = hi
            if outbox is not None and outbox._pending:
                outbox.flush_into(ring)
        else:
            head = cap - i
            self._on_batch(buf[i:])
            seq.value = start + head
            if outbox is not None and outbox._pending:
                outbox.flush_into(ring)
            self._on_batch(buf[: n - head])
            seq.value = hi
            if outbox is not None and outbox._pending:
                outbox.flush_into(ring)
        return n

    def __repr__(self) -> str:
        deps = [d.name for d in self.dependencies]
        return f"Consumer({self.name!r}, after={deps}, seq={self.sequence.value})"

