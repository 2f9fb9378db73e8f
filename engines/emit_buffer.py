"""The kernel's outbox: emitted records kept as bytes and published as one batch per flush.

Contract (the same as :class:`ringbus.outbox.Outbox`, which the drain loop drives): everything
emitted is published right after the emitting consumer's batch, in emission order, with later
seqs than anything already in the ring; nothing is dropped (on RingFullError the bytes stay
pending). Records are appended as bytes (a packed record is never wrapped in a numpy array),
and a flush is one ``publish_records`` of all of them: the hot path of a strategy that trades
emits several records per input (perf/backtest_quotes.py, ``ema_cross_exchange``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from domain.kinds import RECORD_DTYPE
from domain.schema import RECORD_SIZE
from ringbus.ring import Ring


class EmitBuffer:
    """Pending emitted records as one growing byte string."""

    __slots__ = ("_pending",)

    def __init__(self) -> None:
        #: The pending records' bytes (truthy when something is pending: the drain loop's test).
        self._pending = bytearray()

    def emit_bytes(self, data: bytes) -> None:
        """Queues one or more packed records (a multiple of RECORD_SIZE bytes)."""
        if len(data) % RECORD_SIZE:
            raise ValueError(f"emitted bytes must be whole {RECORD_SIZE}-byte records, got "
                             f"{len(data)} bytes")
        self._pending += data

    def emit(self, records: Any) -> None:
        """Queues a 1-d array of records (any dtype of RECORD_SIZE itemsize)."""
        arr = np.asarray(records)
        if arr.dtype.itemsize != RECORD_SIZE:
            raise ValueError(f"emitted records must be {RECORD_SIZE} bytes each, got dtype "
                             f"{arr.dtype}")
        self._pending += np.ascontiguousarray(arr).tobytes()

    emit_one = emit

    def __len__(self) -> int:
        """Returns the number of pending records."""
        return len(self._pending) // RECORD_SIZE

    def take(self) -> np.ndarray:
        """Removes and returns the pending records as one RECORD_DTYPE array."""
        out = np.frombuffer(bytes(self._pending), dtype=RECORD_DTYPE)
        self._pending.clear()
        return out

    def flush_into(self, ring: Ring) -> int:
        """Publishes every pending record into ``ring`` as one batch; returns how many."""
        n = len(self._pending) // RECORD_SIZE
        if n:
            ring.publish_records(np.frombuffer(bytes(self._pending), dtype=RECORD_DTYPE))
            self._pending.clear()
        return n
