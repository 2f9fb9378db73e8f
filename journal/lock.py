"""The single-writer lock: an exclusive ``flock`` on ``<journal>/writer.lock`` holding the pid.

Design contract:
- at most one :class:`WriterLock` per journal exists at a time, across processes and within one
  process (``flock`` locks belong to an open file, so a second open in the same process is
  refused too);
- the kernel drops the lock when the holder dies, so a stale lock of a dead pid is taken over
  without any cleanup; the pid written in the file is only for messages;
- ``writer_alive`` probes with a shared lock and never blocks; a writer that races such a probe
  retries briefly before refusing.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from journal.errors import WriterLockedError
from journal.format import LOCK_FILE

_RETRY_S = 0.2


class WriterLock:
    """Holds the writer lock of the journal at ``path`` until :meth:`release`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path) / LOCK_FILE
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + _RETRY_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _read_pid(fd)
                if holder is not None and _pid_alive(holder) or time.monotonic() > deadline:
                    os.close(fd)
                    raise WriterLockedError(
                        f"{self.path.parent}: another writer holds the journal "
                        f"(pid {holder if holder is not None else 'unknown'})",
                        holder_pid=holder,
                    ) from None
                time.sleep(0.005)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd: int | None = fd

    def release(self) -> None:
        """Releases the lock (idempotent)."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def writer_alive(path: Path) -> int | None:
    """Returns the pid of the live writer of the journal at ``path``, or None when there is none."""
    lock = Path(path) / LOCK_FILE
    try:
        fd = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            return pid if pid is not None else -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
