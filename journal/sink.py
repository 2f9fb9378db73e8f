"""The journal as the kernel sees it: a sink that takes records, commits them, says how far.

Design contract (:class:`JournalSink`; every backend passes ``tests/unit/test_journal_sink.py``):
- ``on_batch(batch)`` takes records in seq order, continuing from the last one taken; a gap or
  a ts_init below the previous record's raises SequenceGapError / TimestampOrderError naming
  the seq, and nothing of that call is taken;
- ``flush()`` commits what the backend's policy says is due and returns ``committed_seq``;
  ``commit()`` commits everything taken;
- ``committed_seq`` never decreases and never exceeds the last seq taken; a record at or below
  it survives a crash of the process. The kernel hands a command to the outside world only
  once ``committed_seq`` reaches it (:mod:`engines.kernel_outbound`).

Backends: :class:`journal.writer.JournalWriter` (LMDB, the real one) and :class:`MemorySink`
(in memory: tests and runs that need no file; it survives nothing).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from domain.kinds import RECORD_DTYPE
from journal.errors import SequenceGapError, TimestampOrderError


@runtime_checkable
class JournalSink(Protocol):
    """What the kernel journals to (see the module contract)."""

    committed_seq: int

    def on_batch(self, batch: np.ndarray) -> None:
        """Takes records in seq order (RECORD_DTYPE-sized, contiguous)."""

    def flush(self) -> int:
        """Commits what is due by the backend's policy; returns ``committed_seq``."""

    def commit(self) -> int:
        """Commits everything taken; returns ``committed_seq``."""


class MemorySink:
    """A journal in memory: commits every ``commit_every`` records taken (1: at every flush).

    ``first_seq`` is the seq the first record must carry. ``records()`` returns what is
    committed.
    """

    def __init__(self, commit_every: int = 1, first_seq: int = 1) -> None:
        if commit_every < 1:
            raise ValueError(f"commit_every must be >= 1, got {commit_every}")
        if first_seq < 1:
            raise ValueError(f"first_seq must be >= 1, got {first_seq}")
        self.commit_every = commit_every
        self.committed_seq = first_seq - 1
        self._chunks: list[np.ndarray] = []
        self._pending: list[np.ndarray] = []
        self._n_pending = 0
        self._next_seq = first_seq
        self._prev_ts = -(1 << 63)

    def on_batch(self, batch: np.ndarray) -> None:
        """Takes records in seq order (see the module contract)."""
        n = len(batch)
        if n == 0:
            return
        recs = np.ascontiguousarray(batch).view(RECORD_DTYPE)
        seqs = recs["seq"].astype(np.int64)
        bad = np.flatnonzero(seqs != np.arange(self._next_seq, self._next_seq + n))
        if len(bad):
            i = int(bad[0])
            raise SequenceGapError(
                f"memory sink: record seq {int(seqs[i])} given where seq "
                f"{self._next_seq + i} was expected", seq=int(seqs[i]),
                expected=self._next_seq + i)
        ts = recs["ts_init"]
        prev = np.concatenate(([self._prev_ts], ts[:-1]))
        back = np.flatnonzero(ts < prev)
        if len(back):
            i = int(back[0])
            raise TimestampOrderError(
                f"memory sink: record seq {int(seqs[i])} has ts_init {int(ts[i])}, below the "
                f"previous record's {int(prev[i])}", seq=int(seqs[i]))
        self._pending.append(recs.copy())
        self._n_pending += n
        self._next_seq += n
        self._prev_ts = int(ts[-1])

    def flush(self) -> int:
        """Commits once ``commit_every`` records are pending; returns ``committed_seq``."""
        if self._n_pending >= self.commit_every:
            self.commit()
        return self.committed_seq

    def commit(self) -> int:
        """Commits everything taken; returns ``committed_seq``."""
        if self._pending:
            self._chunks.extend(self._pending)
            self._pending = []
            self._n_pending = 0
            self.committed_seq = self._next_seq - 1
        return self.committed_seq

    def records(self) -> np.ndarray:
        """Returns a copy of the committed records, in seq order."""
        if not self._chunks:
            return np.zeros(0, dtype=RECORD_DTYPE)
        return np.concatenate(self._chunks)
