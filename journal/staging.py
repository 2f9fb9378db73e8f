"""Staging records into batch values: the writer's buffers between ``on_batch`` and commit.

Design contract:
- records are copied as raw 64-bit words into a buffer laid out as a stored value (header
  space, then up to ``value_records`` records); a full buffer, or ``seal()``, frames it
  (:func:`journal.batch.frame_batch`) and queues ``(key, value)`` for the next commit;
- sealed buffers are never written again until ``recycle()`` after their commit; recycled
  buffers are reused (fresh 512 KiB buffers cost a page fault per 4 KiB: perf/journal_append.py).
"""

from __future__ import annotations

import struct

import numpy as np

from domain.kinds import RECORD_DTYPE
from journal import format as fmt
from journal.batch import frame_batch

WORDS_PER_RECORD = fmt.RECORD_SIZE // 8
HEADER_WORDS = fmt.BATCH_HEADER_SIZE // 8
_MAX_FREE = 64
_HEADER_BYTES = fmt.BATCH_HEADER_SIZE
_SEQ_AT = RECORD_DTYPE.fields["seq"][1]
_SEQ = struct.Struct("<Q")
if fmt.RECORD_SIZE != 128:  # put shifts by 7
    raise ValueError(f"RECORD_SIZE must be 128 for put, got {fmt.RECORD_SIZE}")


class ValueStager:
    """Accumulates records into framed values of up to ``value_records`` records."""

    def __init__(self, value_records: int) -> None:
        self.value_records = value_records
        self.pending: list[tuple[bytes, memoryview]] = []
        self.last_sealed_seq = 0
        self._sealed: list[bytearray] = []
        self._free: list[bytearray] = []
        self._new_buffer()

    def _new_buffer(self) -> None:
        if self._free:
            self._buffer = self._free.pop()
        else:
            self._buffer = bytearray(fmt.BATCH_HEADER_SIZE + self.value_records * fmt.RECORD_SIZE)
        self.words = np.frombuffer(self._buffer, dtype=np.uint64)
        self._view = memoryview(self._buffer)  # slice assignment through it is the cheapest copy
        self.fill = 0

    @property
    def room(self) -> int:
        """How many more records fit in the current buffer."""
        return self.value_records - self.fill

    @property
    def at_word(self) -> int:
        """Index in ``words`` where the next record goes."""
        return HEADER_WORDS + self.fill * WORDS_PER_RECORD

    def advance(self, n: int) -> None:
        """Counts ``n`` records written at ``at_word`` by the caller (at most ``room``)."""
        self.fill += n
        if self.fill == self.value_records:
            self.seal()

    def put(self, data: bytes, n: int) -> None:
        """Appends ``n`` records (``data``, already checked; at most ``room``), sealing a full
        buffer."""
        fill = self.fill
        at = _HEADER_BYTES + (fill << 7)
        self._view[at : at + (n << 7)] = data
        self.fill = fill = fill + n
        if fill == self.value_records:
            self.seal()

    def copy_in(self, words: np.ndarray) -> None:
        """Copies records (as uint64 words), sealing each buffer that fills up."""
        n = len(words) // WORDS_PER_RECORD
        done = 0
        while done < n:
            k = min(n - done, self.room)
            at = self.at_word
            self.words[at : at + k * WORDS_PER_RECORD] = words[
                done * WORDS_PER_RECORD : (done + k) * WORDS_PER_RECORD
            ]
            done += k
            self.advance(k)

    def seal(self) -> None:
        """Frames the current buffer (if it holds records) and queues it for the commit."""
        if self.fill == 0:
            return
        value = frame_batch(self._buffer, self.fill)
        first = int(self.words[HEADER_WORDS])
        self.pending.append((fmt.seq_key(first), value))
        self._sealed.append(self._buffer)
        self.last_sealed_seq = first + self.fill - 1
        self._new_buffer()

    def recycle(self) -> None:
        """Forgets the committed values and keeps their buffers for reuse."""
        self.recycle_taken(*self.take_sealed())

    def take_sealed(self) -> tuple[list[tuple[bytes, memoryview]], list[bytearray]]:
        """Hands over the sealed values and their buffers, to be committed elsewhere (a
        committer thread) and given back with ``recycle_taken``."""
        taken = (self.pending, self._sealed)
        self.pending, self._sealed = [], []
        return taken

    def recycle_taken(self, pending: list[tuple[bytes, memoryview]],
                      sealed: list[bytearray]) -> None:
        """Keeps the buffers of committed values for reuse (any thread: only the staging
        thread takes from the free list, so a concurrent extend cannot lose a buffer)."""
        for _, value in pending:
            value.release()
        self._free.extend(sealed[: _MAX_FREE - len(self._free)])
