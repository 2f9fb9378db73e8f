"""Following a journal that another process writes.

Design contract:
- a tailer owns one cursor (``next_seq``) and yields every committed record from it exactly
  once, in seq order, as copies (checked like any read: a corrupt batch raises CorruptionError,
  after every good batch before it has been yielded);
- it blocks on a commit notification socket (:mod:`journal.notify`) rather than spinning; a
  timeout (``max_wait_s``) bounds the delay when a notification is lost or no writer notifies,
  and with notifications off it polls with exponential backoff up to ``max_wait_s``;
- it keeps following when the writer stops and a new writer (a new run) continues the journal.
"""

from __future__ import annotations

import os
import select
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from journal.checksum import warm_up
from journal.errors import CorruptionError
from journal.notify import CommitListener
from journal.reader import JournalReader
from journal.store import Journal


class Tailer:
    """Yields batches of records of the journal at ``path`` as they are committed."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        from_seq: int = 1,
        *,
        notify: bool = True,
        max_wait_s: float = 0.1,
        max_records_per_batch: int = 1 << 16,
    ) -> None:
        if from_seq < 1:
            raise ValueError(f"from_seq must be >= 1, got {from_seq}")
        self.path = Path(path)
        self.journal = Journal.open(self.path, readonly=True)
        self.reader = JournalReader(self.journal)
        self.next_seq = from_seq
        self.max_wait_s = max_wait_s
        self.max_records_per_batch = max_records_per_batch
        self._listener: CommitListener | None = None
        if notify:
            try:
                self._listener = CommitListener(self.path)
            except OSError:  # no abstract unix sockets (not Linux) or a read-only journal dir
                self._listener = None
        self._backoff_s = 0.0005
        self._caught_up = False
        warm_up()

    def poll(self) -> list[np.ndarray]:
        """Returns copies of the committed records from ``next_seq`` on (possibly none) and
        advances the cursor past them; never blocks. A corrupt batch after some good ones is
        raised by the next call, so the good ones are returned first."""
        out: list[np.ndarray] = []
        try:
            out.extend(self._poll())
        except CorruptionError:
            if not out:
                raise
        return out  # next_seq stops at the bad batch: the next call raises

    def _poll(self) -> Iterator[np.ndarray]:
        if self._listener is not None:
            self._listener.drain()
        total = 0
        self._caught_up = True
        for batch in self.reader.batches(self.next_seq):
            copy = batch.copy()
            self.next_seq = int(copy["seq"][-1]) + 1
            total += len(copy)
            yield copy
            if total >= self.max_records_per_batch:
                self._caught_up = False
                return

    def wait(self, timeout_s: float) -> bool:
        """Blocks until a commit notification arrives or ``timeout_s`` passes; True if notified."""
        if self._listener is None:
            return False
        ready, _, _ = select.select([self._listener], [], [], timeout_s)
        return bool(ready)

    def batches(self, stop: Callable[[], bool] = lambda: False) -> Iterator[np.ndarray]:
        """Yields each newly committed batch (a copy) until ``stop()`` returns True."""
        while not stop():
            got = False
            for batch in self._poll():  # each batch goes out before the next one is read
                got = True
                yield batch
            if got:
                self._backoff_s = 0.0005
                if self._listener is None or not self._caught_up:
                    continue
            if self._listener is not None:
                # poll() drained the socket before reading: a commit after that has poked it
                self.wait(self.max_wait_s)
            else:
                select.select([], [], [], self._backoff_s)
                self._backoff_s = min(self._backoff_s * 2, self.max_wait_s)

    def close(self) -> None:
        """Unregisters from the writer's notifications and closes the journal (idempotent)."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self.journal is not None:
            self.journal.close()

    def __enter__(self) -> Tailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
