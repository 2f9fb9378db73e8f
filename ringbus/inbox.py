"""The thread-safe hand-off from other threads (network clients, live clocks) to the kernel.

Design contract:
- any thread may ``put`` records; the array is copied, so the caller may reuse its buffer;
- only the kernel thread takes them out (``poll`` or ``drain_into``) and only it publishes;
- records come out in the order the ``put`` calls were serialized; ``wait`` blocks on a
  condition variable (no spinning) until something is queued or the timeout passes;
- ``drain_into`` never loses records: on RingFullError the array that did not fit and everything
  after it stay queued, in order.
"""

from __future__ import annotations

import threading
from collections import deque

import numpy as np

from ringbus.ring import Ring


class Inbox:
    """A FIFO of record arrays, filled by any thread and emptied by the kernel thread."""

    def __init__(self) -> None:
        self._queue: deque[np.ndarray] = deque()
        self._ready = threading.Condition(threading.Lock())

    def put(self, records: np.ndarray | np.void) -> None:
        """Queues a copy of ``records`` (a 1-d array or one record) and wakes a waiting kernel."""
        arr = np.array(records, copy=True)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.ndim != 1:
            raise ValueError(f"Inbox.put: records must be 1-d, got shape {arr.shape}")
        if not len(arr):
            return
        with self._ready:
            self._queue.append(arr)
            self._ready.notify()

    def wait(self, timeout: float | None = None) -> bool:
        """Blocks until something is queued or ``timeout`` seconds pass; returns True if queued."""
        with self._ready:
            return self._ready.wait_for(lambda: bool(self._queue), timeout)

    def poll(self) -> list[np.ndarray]:
        """Takes every queued array, oldest first (an empty list when none)."""
        with self._ready:
            items = list(self._queue)
            self._queue.clear()
        return items

    def drain_into(self, ring: Ring) -> int:
        """Publishes every queued array into ``ring`` in order; returns the number of records.

        On RingFullError the array that did not fit and the rest stay queued, and it propagates.
        """
        items = self.poll()
        total = 0
        for i, arr in enumerate(items):
            try:
                first, last = ring.publish_records(arr)
            except BaseException:
                with self._ready:
                    self._queue.extendleft(reversed(items[i:]))
                raise
            total += last - first + 1
        return total

    def __len__(self) -> int:
        """Returns the number of queued arrays."""
        with self._ready:
            return len(self._queue)
