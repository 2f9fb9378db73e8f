"""The verifying journal: a ring consumer that checks produced records against a journal.

Design contract:
- it stands where the journal writer stands (first ring consumer: ``on_batch`` / ``flush``);
  every record the kernel publishes with a seq the journal holds must equal the journal's record
  byte for byte; the first that does not raises :class:`DivergenceError` (the kernel then
  stops: crash-only) with both records, before any state consumer has seen it;
- records past the journal's end are appended to ``writer`` when one is given (crash recovery:
  the run goes on), ignored when ``allow_extra`` (re-execution of a crashed run), else they are
  a divergence (re-execution produced a record the run did not);
- ``on_caught_up`` is called once, from ``flush`` (between publishes, the ring drained), after
  the last journaled record was verified: the point where recovery marks the log;
- it never writes to the journal it verifies except through ``writer``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from domain.kinds import RECORD_DTYPE
from journal.reader import JournalReader

FETCH_RECORDS = 1 << 16


class DivergenceError(RuntimeError):
    """A produced record differs from the journal's (or one side has a record the other lacks)."""

    def __init__(self, seq: int, journaled: np.ndarray | None, produced: np.ndarray | None,
                 why: str) -> None:
        super().__init__(f"seq {seq}: {why}")
        self.seq = seq
        self.journaled = journaled
        self.produced = produced
        self.why = why


class VerifyingJournal:
    """Compares published records with ``reader``'s up to ``last_seq``; see the module contract."""

    def __init__(self, reader: JournalReader, last_seq: int, writer: Any = None,
                 on_caught_up: Callable[[], None] | None = None, allow_extra: bool = False,
                 start_seq: int = 1) -> None:
        self.reader = reader
        self.last_seq = last_seq
        self.writer = writer
        self.on_caught_up = on_caught_up
        self.allow_extra = allow_extra
        self.verified_to = start_seq - 1  # last seq compared equal (or restored from a snapshot)
        self.appended = 0
        self._called = False
        self._buf = np.zeros(0, dtype=RECORD_DTYPE)
        self._buf_first = 0

    @property
    def caught_up(self) -> bool:
        """True once every journaled record was produced again and verified."""
        return self.verified_to >= self.last_seq

    def _expected(self, first: int, n: int) -> np.ndarray:
        lo = first - self._buf_first
        if lo < 0 or lo + n > len(self._buf):
            top = min(self.last_seq, first + max(n, FETCH_RECORDS) - 1)
            self._buf = self.reader.records_between(first, top)
            self._buf_first = first
            lo = 0
        out = self._buf[lo : lo + n]
        if len(out) != n:
            raise DivergenceError(first + len(out), None, None,
                                  "the journal could not be read back to its last seq")
        return out

    def on_batch(self, batch: np.ndarray) -> None:
        """Verifies (then appends or refuses) the records of one ring batch."""
        batch = batch.view(RECORD_DTYPE)
        first = int(batch["seq"][0])
        n_known = max(0, min(len(batch), self.last_seq - first + 1))
        if n_known:
            want = self._expected(first, n_known)
            got = batch[:n_known]
            if want.tobytes() != np.ascontiguousarray(got).tobytes():
                rows = (want.view(np.uint8).reshape(-1, 128)
                        != np.ascontiguousarray(got).view(np.uint8).reshape(-1, 128)).any(axis=1)
                i = int(np.flatnonzero(rows)[0])
                raise DivergenceError(first + i, want[i : i + 1].copy(), got[i : i + 1].copy(),
                                      "the produced record differs from the journal's")
            self.verified_to = first + n_known - 1
        rest = batch[n_known:]
        if not len(rest):
            return
        if self.writer is not None:
            self.writer.on_batch(rest)
            self.appended += len(rest)
        elif not self.allow_extra:
            seq = int(rest["seq"][0])
            raise DivergenceError(seq, None, rest[:1].copy(),
                                  f"produced a record past the journal's last seq {self.last_seq}")

    @property
    def committed_seq(self) -> int:
        """The last seq in the journal: verified (it was there) or appended and committed."""
        if self.writer is not None and self.caught_up:
            return max(self.verified_to, self.writer.committed_seq)
        return self.verified_to

    def commit(self) -> int:
        """Commits the writer's appended records (if any); returns ``committed_seq``."""
        if self.writer is not None and self.caught_up:
            self.writer.commit()
        return self.committed_seq

    def flush(self) -> int:
        """Flushes the writer (if any); calls ``on_caught_up`` once the journal is verified."""
        if self.caught_up and not self._called:
            self._called = True
            if self.on_caught_up is not None:
                self.on_caught_up()
        return self.writer.flush() if self.writer is not None else self.verified_to
