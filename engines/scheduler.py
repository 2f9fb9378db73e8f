"""The scheduler: records due at a future kernel time (timer fires, simulated latency).

Design contract:
- records are released in ``(ts, scheduling seq, order of scheduling)`` order: a heap with a
  per-scheduler counter as last key, so ties never compare record bytes and the order is the same
  in every run;
- a released record has ``ts_init = ts`` (stamped here), keeps the ``cause`` it was packed with,
  and is published by the replay loop before any input with ``ts_init >= ts``;
- scheduling at a time before the last released time is refused (:class:`ScheduleInPastError`):
  the log's ``ts_init`` never decreases;
- the pending heap is state: ``snapshot``/``restore`` carry it as plain data (hex record bytes).
"""

from __future__ import annotations

import heapq
import struct
from typing import Any

import numpy as np

from domain.kinds import RECORD_DTYPE
from domain.schema import RECORD_SIZE

_TS_INIT = struct.Struct("<q")
_TS_INIT_OFFSET = 16


class ScheduleInPastError(ValueError):
    """A record was scheduled before the time the scheduler has already released up to."""


class Scheduler:
    """A deterministic heap of records keyed by due time."""

    __slots__ = ("_heap", "_counter", "released_ns")

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, int, bytes]] = []
        self._counter = 0
        #: The due time of the last released record (or the floor set by ``advance_to``).
        self.released_ns: int = -(2**63)

    def __len__(self) -> int:
        return len(self._heap)

    def schedule(self, ts_ns: int, record: bytes | np.ndarray, scheduling_seq: int) -> None:
        """Queues ``record`` (RECORD_SIZE bytes or a one-record array) for publication at ``ts_ns``."""
        if ts_ns < self.released_ns:
            raise ScheduleInPastError(
                f"cannot schedule at ts_ns={ts_ns}: records up to {self.released_ns} were already "
                f"released (scheduling seq {scheduling_seq})"
            )
        data = record if isinstance(record, bytes) else np.asarray(record).tobytes()
        if len(data) != RECORD_SIZE:
            raise ValueError(f"a scheduled record must be {RECORD_SIZE} bytes, got {len(data)}")
        buf = bytearray(data)
        _TS_INIT.pack_into(buf, _TS_INIT_OFFSET, ts_ns)
        self._counter += 1
        heapq.heappush(self._heap, (ts_ns, scheduling_seq, self._counter, bytes(buf)))

    def next_due_ns(self) -> int | None:
        """Returns the due time of the earliest record, or None when nothing is scheduled."""
        return self._heap[0][0] if self._heap else None

    def pop_due(self, ts_ns: int) -> np.ndarray | None:
        """Removes and returns the earliest record if it is due at or before ``ts_ns``, else None."""
        heap = self._heap
        if not heap or heap[0][0] > ts_ns:
            return None
        due, _, _, data = heapq.heappop(heap)
        self.released_ns = due
        return np.frombuffer(data, dtype=RECORD_DTYPE)

    def advance_to(self, ts_ns: int) -> None:
        """Raises the floor below which nothing may be scheduled (the kernel time went on)."""
        if ts_ns > self.released_ns:
            self.released_ns = ts_ns

    def cancel(self, predicate: Any) -> int:
        """Removes every pending record whose bytes satisfy ``predicate``; returns how many."""
        kept = [item for item in self._heap if not predicate(item[3])]
        removed = len(self._heap) - len(kept)
        if removed:
            heapq.heapify(kept)
            self._heap = kept
        return removed

    def snapshot(self) -> dict[str, Any]:
        """Returns the pending records and counters as plain data."""
        return {
            "counter": self._counter,
            "released_ns": self.released_ns,
            "pending": [[ts, s, c, data.hex()] for ts, s, c, data in sorted(self._heap)],
        }

    def restore(self, doc: dict[str, Any]) -> None:
        """Replaces the pending records with a snapshot's."""
        self._counter = int(doc["counter"])
        self.released_ns = int(doc["released_ns"])
        self._heap = [(int(ts), int(s), int(c), bytes.fromhex(h)) for ts, s, c, h in doc["pending"]]
        heapq.heapify(self._heap)

    def digest_bytes(self) -> bytes:
        """Returns canonical bytes of the pending heap (for the state hash)."""
        parts = [struct.pack("<qQQ", ts, s, c) + data for ts, s, c, data in sorted(self._heap)]
        return struct.pack("<Q", self._counter) + b"".join(parts)
