"""Records a consumer emits while it handles a batch.

Contract: everything emitted is published by the drain loop right after the emitting handler
returns, in emission order, with later seqs than anything already in the ring. Nothing emitted is
ever dropped: if the ring cannot take it, :class:`~ringbus.errors.RingFullError` is raised and the
records stay pending here. Emitted arrays are copied into the ring at publish time, so an emitted
array must not be modified before the handler returns.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ringbus.ring import Ring


class Outbox:
    """A FIFO of record arrays waiting to be published by the drain loop."""

    __slots__ = ("_pending",)

    def __init__(self) -> None:
        # a deque: flush_into publishes from the front (list.pop(0) is O(n) per pop)
        self._pending: deque[np.ndarray] = deque()

    def emit(self, records: np.ndarray) -> None:
        """Queues a 1-d array of records (any dtype of the ring's itemsize); empty arrays are ignored."""
        if len(records):
            self._pending.append(records)

    def emit_one(self, record: np.ndarray | np.void) -> None:
        """Queues a single record (a numpy record scalar or a 1-element array)."""
        self._pending.append(record)

    def __len__(self) -> int:
        """Returns the number of queued arrays (not records)."""
        return len(self._pending)

    def take(self) -> list[np.ndarray]:
        """Removes and returns every queued array, oldest first; the caller now owns them."""
        pending, self._pending = self._pending, deque()
        return list(pending)

    def flush_into(self, ring: Ring) -> int:
        """Publishes every queued array into ``ring`` in order; returns the number of records.

        On RingFullError the arrays not yet published stay queued and the error propagates.
        """
        pending = self._pending
        total = 0
        while pending:
            first, last = ring.publish_records(pending[0])
            pending.popleft()
            total += last - first + 1
        return total
