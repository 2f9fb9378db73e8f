"""The hot standby (``ringbus standby``): folds a primary sandbox node's journal as it is
written and takes over when the primary is lost.

Design contract:
- following: the journal is tailed and every committed batch is folded by the rebuild code
  (:func:`replay.tail_state.rolling_states`, as ``ringbus tail --state``): the status after each
  batch carries the seq and the state hash the primary had there;
- primary loss: the journal's writer lock is free (:func:`journal.lock.writer_alive`; a killed
  primary releases it) once the standby has folded every committed record;
- takeover: at most one standby per journal takes over — it must win ``standby.lock`` in the
  journal directory (a non-blocking flock it holds for the rest of its life; the others keep
  following the new primary and may take over from it in turn); it never opens the journal as
  writer while a primary holds the writer lock. It then runs the sandbox node on the journal:
  the node's crash recovery re-executes the journal's own inputs (verified record by record),
  appends RUN_RECOVERED naming the crashed run and the last seq it journaled, and goes on with a
  fresh live feed (new connection, fresh book sync);
- limits: one run lineage of one sandbox config per journal; no heartbeat record yet (the
  writer lock is the only loss signal).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from journal.errors import NotAJournalError
from journal.lock import writer_alive
from journal.tailer import Tailer
from replay.nodes.sandbox import SandboxNode, sandbox_config
from replay.tail_state import rolling_states

STANDBY_LOCK = "standby.lock"


class TakeoverLock:
    """The flock that elects the one standby allowed to take over a journal."""

    def __init__(self, journal: str | Path) -> None:
        self.path = Path(journal) / STANDBY_LOCK
        self._fd: int | None = None

    def acquire(self) -> bool:
        """True if this process now holds the lock (kept until :meth:`release` or exit)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


@attrs.define
class Takeover:
    """What a takeover saw and did."""

    last_seq_seen: int
    lost_at: float  # time.monotonic() when the primary was seen lost
    run: Any = None


class Standby:
    """Follows ``journal`` and takes over with the sandbox ``config`` (see the contract)."""

    def __init__(self, journal: str | Path, config: dict[str, Any], *,
                 on_status: Callable[[dict[str, Any]], None] = lambda report: None,
                 on_takeover: Callable[[Takeover], None] = lambda takeover: None,
                 poll_s: float = 0.05) -> None:
        sandbox_config(config)  # a bad config fails now, not at the takeover
        self.path, self.config = str(journal), config
        self.on_status, self.on_takeover, self.poll_s = on_status, on_takeover, poll_s
        self.lock = TakeoverLock(journal)
        self.last_seq = 0

    def follow(self, stop: threading.Event) -> float | None:
        """Folds the journal until the primary is lost (returns when, monotonic) or ``stop``."""
        end = None
        while end is None and not stop.is_set():
            if writer_alive(Path(self.path)) is not None:
                try:
                    end = _end(self.path)
                    break
                except NotAJournalError:  # the primary is creating it
                    pass
            stop.wait(self.poll_s)  # no primary yet
        if end is None:
            return None
        tailer = Tailer(self.path, from_seq=self.last_seq + 1 if self.last_seq else end + 1,
                        max_wait_s=self.poll_s)
        lost: list[float] = []

        def done() -> bool:
            if stop.is_set():
                return True
            if writer_alive(Path(self.path)) is None and \
                    tailer.reader.last_seq() < tailer.next_seq:
                lost.append(time.monotonic())
                return True
            return False

        try:
            for report in rolling_states(tailer, done, follow=True):
                self.last_seq = report["seq"]
                self.on_status(report)
        finally:
            tailer.close()
        return lost[0] if lost else None

    def run(self, stop: threading.Event) -> Takeover | None:
        """Follows, and takes over when the primary is lost and this standby wins the election;
        the new node runs until ``stop``. Returns None if stopped before a takeover."""
        while not stop.is_set():
            lost_at = self.follow(stop)
            if lost_at is None:
                return None
            if not self.lock.acquire():
                stop.wait(self.poll_s)  # another standby is taking over: follow it
                continue
            if writer_alive(Path(self.path)) is not None:  # a primary came back first
                self.lock.release()
                continue
            takeover = Takeover(self.last_seq, lost_at)
            self.on_takeover(takeover)
            node = SandboxNode(self.config, journal=self.path)
            takeover.run = node.run(stop, replayed=_inputs(self.path))
            return takeover
        return None


def _end(path: str) -> int:
    from journal.reader import JournalReader
    from journal.store import Journal

    with Journal.open(path, readonly=True) as journal:
        return JournalReader(journal).last_seq()


def _inputs(path: str) -> list[np.ndarray]:
    """The journal's market-data inputs, read into memory (the node then opens the journal)."""
    from replay.journal_source import iter_journal_market_data, journal_instruments

    held = journal_instruments(path)
    return [c for iid in held.values() for c in iter_journal_market_data(path, iid)]
