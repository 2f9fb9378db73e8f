"""The preallocated ring of fixed-width records, with single-producer claim and publish.

Design contract:
- ``capacity`` is a power of two, the buffer is allocated once (zeroed) and never resized;
- ring sequence numbers ARE the records' ``seq``: the first published record gets ``first_seq``
  (1 by default; later for recovery) and ``publish_records`` stamps it into the ``seq`` field;
- one producer, on the kernel thread: ``claim`` then write into ``slots`` then ``publish``;
- a claim never overwrites a slot that a gating sequence has not finished: it raises
  :class:`RingFullError` and changes nothing (never drops, never overwrites); with no gating
  sequence at all, nothing reads the ring and old slots are reused freely; gating sequences
  must only move forward (the ring caches their minimum);
- ``cursor`` is the last published seq; records up to it are readable through ``views`` as long
  as they are within the last ``capacity`` seqs.
"""

from __future__ import annotations

import struct

import numpy as np

from domain.schema import RECORD_DTYPE
from ringbus.errors import RingConfigError, RingFullError, RingRangeError
from ringbus.sequence import Sequence


class Ring:
    """A power-of-two ring of records of one structured dtype, indexed by seq."""

    def __init__(self, capacity: int, dtype: np.dtype = RECORD_DTYPE, first_seq: int = 1) -> None:
        if not isinstance(capacity, int) or capacity < 1 or capacity & (capacity - 1):
            raise RingConfigError(f"capacity must be a power of two, got {capacity!r}")
        if not isinstance(first_seq, int) or first_seq < 1:
            raise RingConfigError(f"first_seq must be an int >= 1, got {first_seq!r}")
        dtype = np.dtype(dtype)
        if dtype.names is None:
            raise RingConfigError(f"dtype must be a structured dtype, got {dtype}")
        self.capacity: int = capacity
        self.dtype: np.dtype = dtype
        self.first_seq: int = first_seq
        self.buffer: np.ndarray = np.zeros(capacity, dtype=dtype)
        self.cursor: int = first_seq - 1
        self._mask = capacity - 1
        self._claimed = first_seq - 1
        self._gating: list[Sequence] = []
        self._gating_floor: int = _NO_GATING
        self._seq_col: np.ndarray | None = self.buffer["seq"] if "seq" in dtype.names else None
        #: byte offset of a little-endian u8 ``seq`` field in a record (struct stamping), or None
        self._seq_at: int | None = None
        if self._seq_col is not None:
            seq_dtype, seq_at = dtype.fields["seq"][:2]
            if seq_dtype == np.dtype("<u8"):
                self._seq_at = seq_at
        # Copies go through an opaque-bytes view: numpy copies structured dtypes field by field
        # (~9x slower than memcpy for 128-byte records; perf/one_to_one_throughput.py).
        self._void = np.dtype(f"V{dtype.itemsize}")
        self._raw: np.ndarray = self.buffer.view(self._void)
        self._itemsize: int = dtype.itemsize
        self._bytes = memoryview(self.buffer.view(np.uint8))  # cheapest single-record write

    # --- gating ----------------------------------------------------------------------------------
    def add_gating_sequences(self, *sequences: Sequence) -> None:
        """Makes claims wait for these sequences: a slot is reused only after all finished it."""
        for seq in sequences:
            if not isinstance(seq, Sequence):
                raise RingConfigError(f"gating sequences must be Sequence, got {seq!r}")
            if seq not in self._gating:
                self._gating.append(seq)
                self._gating_floor = -1

    @property
    def gating_sequences(self) -> tuple[Sequence, ...]:
        """The sequences that claims wait for, in the order they were added."""
        return tuple(self._gating)

    def min_gating_seq(self) -> int:
        """Returns the lowest finished seq over the gating sequences (the cursor when none)."""
        if not self._gating:
            return self._claimed
        return min(s.value for s in self._gating)

    def remaining_capacity(self) -> int:
        """Returns how many slots can be claimed now without raising."""
        return self.capacity - (self._claimed - self.min_gating_seq())

    # --- producer --------------------------------------------------------------------------------
    def claim(self, n: int) -> int:
        """Reserves the next ``n`` seqs and returns the first; raises RingFullError if they do not fit.

        The claimed slots must be written through :meth:`slots` and then :meth:`publish` -ed.
        """
        if n < 1 or n > self.capacity:
            raise RingConfigError(f"claim size n must be in 1..capacity={self.capacity}, got {n}")
        first = self._claimed + 1
        if self._claimed + n - self.capacity > self._gating_floor:
            self._check_room(n)
        self._claimed += n
        return first

    def _check_room(self, n: int) -> None:
        # Gating sequences only move forward, so a cached minimum is a safe lower bound; it is
        # recomputed only when a claim would pass it (the Disruptor's gating-sequence cache).
        if not self._gating:
            return
        slowest = min(self._gating, key=_seq_value)
        self._gating_floor = slowest.value
        if self._claimed + n - self.capacity > slowest.value:
            first = self._claimed + 1
            raise RingFullError(
                f"ring full: capacity={self.capacity}, claim n={n} (seqs {first}.."
                f"{first + n - 1}) would overwrite seq {slowest.value + 1} which the slowest "
                f"gating consumer {slowest.name!r} has not finished (it is at seq "
                f"{slowest.value})"
            )

    def slots(self, first_seq: int, n: int) -> list[np.ndarray]:
        """Returns 1 or 2 writable contiguous views covering seqs ``first_seq .. first_seq+n-1``.

        The range must be claimed and not yet published.
        """
        last = first_seq + n - 1
        if n < 1 or first_seq <= self.cursor or last > self._claimed:
            raise RingRangeError(
                f"slots({first_seq}, {n}): seqs must be claimed and unpublished, i.e. within "
                f"{self.cursor + 1}..{self._claimed}"
            )
        return self._span(first_seq, last)

    def publish(self, last_seq: int) -> None:
        """Makes every claimed seq up to ``last_seq`` visible to consumers (moves the cursor)."""
        if last_seq <= self.cursor or last_seq > self._claimed:
            raise RingRangeError(
                f"publish({last_seq}): last_seq must be in {self.cursor + 1}..{self._claimed} "
                f"(cursor={self.cursor}, claimed={self._claimed})"
            )
        self.cursor = last_seq

    def publish_records(self, records: np.ndarray) -> tuple[int, int]:
        """Claims, bulk-copies, stamps ``seq`` and publishes ``records``; returns (first, last) seq.

        ``records`` is a 1-d array (or a single record) of any dtype of the ring's itemsize; its
        bytes are copied as they are (a kind-specific view of RECORD_DTYPE is fine).
        """
        recs = self._as_raw(records)
        n = recs.shape[0]
        if self._claimed != self.cursor:
            raise RingRangeError(self._pending_claim_message("publish_records"))
        first = self.claim(n)
        last = first + n - 1
        buf = self._raw
        start = first & self._mask
        stop = start + n
        seq_col = self._seq_col
        if stop <= self.capacity:
            buf[start:stop] = recs
            if seq_col is not None:
                seq_col[start:stop] = np.arange(first, last + 1, dtype=np.uint64)
        else:
            head = self.capacity - start
            buf[start:] = recs[:head]
            buf[: n - head] = recs[head:]
            if seq_col is not None:
                seq_col[start:] = np.arange(first, first + head, dtype=np.uint64)
                seq_col[: n - head] = np.arange(first + head, last + 1, dtype=np.uint64)
        self.cursor = last
        return first, last

    def publish_record(self, record: np.ndarray | np.void) -> int:
        """Publishes one record (the one-at-a-time fast path); returns its seq.

        ``record`` is a numpy record or a 1-element array of any dtype of the ring's itemsize.
        """
        if self._claimed != self.cursor:
            raise RingRangeError(self._pending_claim_message("publish_record"))
        data = record.tobytes()
        if len(data) != self._itemsize:
            raise RingConfigError(
                f"publish_record: record must be one record of {self._itemsize} bytes, got "
                f"{len(data)} bytes (dtype {record.dtype}, shape {np.shape(record)})"
            )
        seq = self.claim(1)
        idx = seq & self._mask
        offset = idx * self._itemsize
        self._bytes[offset : offset + self._itemsize] = data
        if self._seq_col is not None:
            self._seq_col[idx] = seq
        self.cursor = seq
        return seq

    def publish_bytes(self, data: memoryview | bytes) -> int:
        """Publishes one record given as its raw bytes (the kernel's one-at-a-time path, e.g. a
        slice of a loader's chunk); stamps and returns its seq.

        Same checks as :meth:`claim` and :meth:`publish_record`, in one call: the record must be
        ``itemsize`` bytes and no claim may be pending.
        """
        size = self._itemsize
        if len(data) != size:
            raise RingConfigError(f"publish_bytes: a record is {size} bytes, got {len(data)}")
        seq = self._claimed + 1
        if self._claimed != self.cursor:
            raise RingRangeError(self._pending_claim_message("publish_bytes"))
        if seq - self.capacity > self._gating_floor:
            self._check_room(1)
        self._claimed = seq
        idx = seq & self._mask
        offset = idx * size
        self._bytes[offset : offset + size] = data
        if self._seq_at is not None:
            _U8_PACK(self._bytes, offset + self._seq_at, seq)
        elif self._seq_col is not None:
            self._seq_col[idx] = seq
        self.cursor = seq
        return seq

    # --- readers ---------------------------------------------------------------------------------
    def views(self, lo: int, hi: int) -> list[np.ndarray]:
        """Returns 1 or 2 contiguous read views of published seqs ``lo..hi`` (inclusive), in order.

        Raises RingRangeError if the range is unpublished or older than the last ``capacity`` seqs.
        """
        if lo > hi or hi > self.cursor or lo <= self.cursor - self.capacity or lo < self.first_seq:
            raise RingRangeError(
                f"views({lo}, {hi}): readable seqs are "
                f"{max(self.first_seq, self.cursor - self.capacity + 1)}..{self.cursor}"
            )
        return self._span(lo, hi)

    def _span(self, lo: int, hi: int) -> list[np.ndarray]:
        start = lo & self._mask
        stop = start + (hi - lo + 1)
        if stop <= self.capacity:
            return [self.buffer[start:stop]]
        return [self.buffer[start:], self.buffer[: stop - self.capacity]]

    def _pending_claim_message(self, what: str) -> str:
        return (
            f"{what}: seqs {self.cursor + 1}..{self._claimed} are claimed but not published; "
            f"publish them first"
        )

    def _as_raw(self, records: np.ndarray | np.void) -> np.ndarray:
        arr = np.asarray(records)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.ndim != 1:
            raise RingConfigError(f"records must be a 1-d array, got shape {arr.shape}")
        if arr.dtype.itemsize != self.dtype.itemsize:
            raise RingConfigError(
                f"records itemsize must be {self.dtype.itemsize} bytes, got {arr.dtype.itemsize} "
                f"(dtype {arr.dtype})"
            )
        return arr.view(self._void)

    def __repr__(self) -> str:
        return f"Ring(capacity={self.capacity}, cursor={self.cursor}, claimed={self._claimed})"


_U8_PACK = struct.Struct("<Q").pack_into
_NO_GATING = 1 << 62  # a floor no claim passes: without gating sequences, slots are reused freely


def _seq_value(seq: Sequence) -> int:
    return seq.value
