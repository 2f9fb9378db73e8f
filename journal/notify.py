"""Commit notifications from a writer to tailers in other processes (Linux).

Design contract:
- a tailer binds a unix datagram socket in the abstract namespace and registers its address as
  a file ``<journal>/tailers/<pid>-<n>``; it blocks on that socket instead of polling;
- after each commit the writer sends one byte to every registered tailer, never blocking: a full
  socket queue means a wake-up is already pending; a refused or missing socket means the tailer
  is gone and its registration file is removed;
- notifications are hints: a lost one only delays a tailer until its fallback poll timeout.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import TYPE_CHECKING

from journal.format import TAILERS_DIR

if TYPE_CHECKING:
    import socket

_counter = itertools.count(1)


def _datagram_socket() -> socket.socket:
    """Returns a non-blocking unix datagram socket. ``socket`` is imported here, when a journal
    is first tailed: a writer nobody tails (every backtest) never loads it (~2.5 ms of start-up)."""
    import socket

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setblocking(False)
    return sock


class CommitNotifier:
    """The writer's side: pokes every registered tailer after a commit."""

    def __init__(self, journal_path: Path) -> None:
        self.dir = Path(journal_path) / TAILERS_DIR
        self.dir.mkdir(exist_ok=True)
        self._sock: socket.socket | None = None  # made when the first tailer registers
        self._mtime_ns = -1
        self._targets: list[tuple[Path, bytes]] = []

    def _refresh(self) -> None:
        try:
            mtime = os.stat(self.dir).st_mtime_ns
        except FileNotFoundError:
            self.dir.mkdir(exist_ok=True)
            mtime = os.stat(self.dir).st_mtime_ns
        if mtime == self._mtime_ns:
            return
        self._mtime_ns = mtime
        targets = []
        for entry in sorted(self.dir.iterdir()):
            if entry.name.startswith("."):
                continue
            try:
                targets.append((entry, entry.read_bytes()))
            except OSError:
                continue
        self._targets = targets

    def notify(self) -> None:
        """Sends a wake-up to every registered tailer; never blocks, never raises for a tailer."""
        self._refresh()
        if self._targets and self._sock is None:
            self._sock = _datagram_socket()
        for entry, address in self._targets:
            try:
                self._sock.sendto(b"c", address)
            except (BlockingIOError, InterruptedError):
                continue
            except (ConnectionRefusedError, FileNotFoundError):
                entry.unlink(missing_ok=True)
            except OSError:
                continue

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()


class CommitListener:
    """The tailer's side: a registered socket to wait on for commit notifications."""

    def __init__(self, journal_path: Path) -> None:
        directory = Path(journal_path) / TAILERS_DIR
        directory.mkdir(exist_ok=True)
        name = f"{os.getpid()}-{next(_counter)}"
        self.address = f"\0ringbus-tail-{os.getpid()}-{id(self):x}-{name}".encode()
        self._sock = _datagram_socket()
        self._sock.bind(self.address)
        self.registration = directory / name
        tmp = directory / f".{name}.tmp"
        tmp.write_bytes(self.address)
        os.replace(tmp, self.registration)

    def fileno(self) -> int:
        return self._sock.fileno()

    def drain(self) -> int:
        """Consumes pending notifications; returns how many there were."""
        n = 0
        while True:
            try:
                self._sock.recv(64)
            except (BlockingIOError, InterruptedError):
                return n
            n += 1

    def close(self) -> None:
        """Unregisters and closes the socket (idempotent)."""
        self.registration.unlink(missing_ok=True)
        self._sock.close()
