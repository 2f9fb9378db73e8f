"""The hot standby (``ringbus standby``): folds a primary node's journal as it is written and
takes over when the primary is lost.

Design contract:
- following: the journal is tailed and every committed batch is folded by the rebuild code
  (:func:`replay.tail_state.rolling_states`, as ``ringbus tail --state``): the status after each
  batch carries the seq and the state hash the primary had there;
- loss signal 1, the writer lock: it is free (:func:`journal.lock.writer_alive`; a dead
  primary's lock is released by the kernel) once the standby has folded every committed record;
- loss signal 2, heartbeat silence: armed once the standby has folded a HEARTBEAT
  (:mod:`replay.nodes.heartbeat`; a primary that writes none is never judged by silence);
  silence = no new record for ``heartbeat_timeout`` seconds (at least twice the journaled
  heartbeat interval) while the lock is still held: a hung primary. The standby never writes
  while the lock is held (no split brain); what it does is ``on_silence``:
  ``"report"`` prints ``primary_silent`` (seconds, the holder's pid) and keeps following (a
  primary that speaks again is ``primary_resumed``): an operator decides; ``"fence"`` (the
  default) first wins the election below, then SIGKILLs the lock's holder (the lock is a local
  flock: the holder is a process on this machine), waits for the kernel to release the lock,
  folds what the primary committed, and takes over as after signal 1;
- a primary whose journal ends with RUN_ENDED stopped on purpose: the standby ends, no takeover;
- takeover: at most one standby per journal takes over — it must win ``standby.lock`` in the
  journal directory (a non-blocking flock it holds for the rest of its life; the others keep
  following the new primary and may take over from it in turn); it never opens the journal as
  writer while a primary holds the writer lock. It arms a FAILOVER
  (:func:`replay.recovery_plan.arm_failover`: the last seq it folded, the lost writer's pid, its own
  pid, the signal, the silence) and runs the node on the journal: the node's crash recovery
  re-executes the journal's own inputs (verified record by record), appends RUN_RECOVERED, the
  FAILOVER and the continuation RUN_STARTED, and goes on with fresh live connections;
- the node that takes over is the primary's kind (:func:`node_for`): a live node (a config with
  a ``[fix]`` table) recovers the journal, logs on to its venue with the journaled sequence
  numbers, takes the venue's resends and reconciles its orders; a sandbox node reconnects its
  market data (a fresh book sync);
- limits: one run lineage of one config per journal.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from domain.codec import as_kind
from domain.enums import FailoverReason
from domain.kinds import Kind
from journal.errors import NotAJournalError, StructureError
from journal.lock import writer_alive
from journal.tailer import Tailer
from replay.nodes.sandbox import SandboxNode, sandbox_config
from replay.recovery_plan import arm_failover
from replay.tail_state import rolling_states

STANDBY_LOCK = "standby.lock"
DEFAULT_HEARTBEAT_TIMEOUT_S = 2.0
ON_SILENCE = ("fence", "report")
#: how long a fenced primary's lock may take to be released by the kernel
FENCE_WAIT_S = 10.0


class TakeoverLock:
    """The flock that elects the one standby allowed to take over a journal."""

    def __init__(self, journal: str | Path) -> None:
        self.path = Path(journal) / STANDBY_LOCK
        self._fd: int | None = None

    def acquire(self) -> bool:
        """True if this process now holds the lock (kept until :meth:`release` or exit)."""
        if self._fd is not None:
            return True
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
class Loss:
    """How the primary was found lost."""

    reason: FailoverReason
    lost_at: float  # time.monotonic() when the loss was declared
    silent_s: float  # no new record for this long at that moment
    pid: int = 0  # the writer lock's holder when known (a silent primary), else 0


@attrs.define
class Takeover:
    """What a takeover saw and did."""

    last_seq_seen: int
    lost_at: float  # time.monotonic() when the primary was seen lost
    reason: FailoverReason = FailoverReason.LOCK_RELEASED
    old_writer_pid: int = 0
    silent_s: float = 0.0
    run: Any = None


class _Watched(Tailer):
    """A tailer that notes when records last arrived and the heartbeat interval it saw."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.last_new = time.monotonic()
        self.heartbeat_s = 0.0  # the journaled interval of the last HEARTBEAT; 0: none seen
        self.last_kind = 0

    def batches(self, stop: Callable[[], bool] = lambda: False) -> Iterator[np.ndarray]:
        for batch in super().batches(stop):
            self.last_new = time.monotonic()
            self.last_kind = int(batch["kind"][-1])
            beats = batch[batch["kind"] == Kind.HEARTBEAT]
            if len(beats):
                self.heartbeat_s = int(as_kind(beats[-1:], Kind.HEARTBEAT)["interval_ns"][0]) / 1e9
            yield batch


def node_for(config: dict[str, Any]) -> Callable[[dict[str, Any], str], Any]:
    """The node that takes over for the primary's ``config``: the live node for a config with
    a ``[fix]`` table, else the sandbox node; a bad config fails now, not at the takeover."""
    if "fix" in config:
        from replay.nodes.live import LiveNode
        from replay.nodes.live_config import live_config

        live_config(config)
        return lambda cfg, path: LiveNode(cfg, journal=path)
    sandbox_config(config)
    return lambda cfg, path: SandboxNode(cfg, journal=path)


class Standby:
    """Follows ``journal`` and takes over with the primary's ``config`` (see the contract);
    ``node(config, journal)`` builds the node that takes over (default :func:`node_for`)."""

    def __init__(self, journal: str | Path, config: dict[str, Any], *,
                 on_status: Callable[[dict[str, Any]], None] = lambda report: None,
                 on_takeover: Callable[[Takeover], None] = lambda takeover: None,
                 poll_s: float = 0.05,
                 heartbeat_timeout: float = DEFAULT_HEARTBEAT_TIMEOUT_S,
                 on_silence: str = "fence",
                 node: Callable[[dict[str, Any], str], Any] | None = None) -> None:
        #: builds the node that takes over: ``node(config, journal).run(stop)``
        self.make_node = node or node_for(config)
        if not heartbeat_timeout > 0:
            raise ValueError(f"heartbeat_timeout must be > 0 seconds, got {heartbeat_timeout!r}")
        if on_silence not in ON_SILENCE:
            raise ValueError(f"on_silence must be one of {ON_SILENCE}, got {on_silence!r}")
        self.path, self.config = str(journal), config
        self.on_status, self.on_takeover, self.poll_s = on_status, on_takeover, poll_s
        self.heartbeat_timeout, self.on_silence = float(heartbeat_timeout), on_silence
        self.lock = TakeoverLock(journal)
        self.last_seq = 0
        self.primary_ended = False
        self.writer_pid = 0  # the writer lock's holder, as last seen (0: unknown)

    def follow(self, stop: threading.Event, wait_for_writer: bool = True) -> Loss | None:
        """Folds the journal until the primary is lost (returns how) or ``stop``, or the
        primary ended its run (None, ``primary_ended`` set). ``wait_for_writer``: start only
        once a writer holds the journal (a primary starting, or another standby's takeover)."""
        end = None
        while end is None and not stop.is_set():
            holder = writer_alive(Path(self.path))
            if holder is not None:
                self.writer_pid = max(holder, 0)
            if not wait_for_writer or holder is not None:
                try:
                    end = _end(self.path)
                    break
                except (NotAJournalError, StructureError):
                    if holder is None:
                        raise
                    # the primary is creating it (its sub-databases are not committed yet)
            stop.wait(self.poll_s)  # no primary yet
        if end is None:
            return None
        tailer = _Watched(self.path, from_seq=self.last_seq + 1 if self.last_seq else end + 1,
                          max_wait_s=self.poll_s)
        if tailer.next_seq > 1:
            tailer.last_kind = int(tailer.reader.record(tailer.next_seq - 1)["kind"][0])
        lost: list[Loss] = []
        silent_told = [False]

        def done() -> bool:
            if stop.is_set():
                return True
            now = time.monotonic()
            silent = now - tailer.last_new
            if tailer.reader.last_seq() < tailer.next_seq:  # folded everything committed
                holder = writer_alive(Path(self.path))
                if holder is None:
                    if tailer.last_kind == Kind.RUN_ENDED:
                        self.primary_ended = True
                    else:
                        lost.append(Loss(FailoverReason.LOCK_RELEASED, now, silent,
                                         self.writer_pid))
                    return True
                self.writer_pid = max(holder, 0)
                if silent_told[0] and silent < self.poll_s * 4:
                    silent_told[0] = False
                    self.on_status({"status": "primary_resumed", "seq": self.last_seq})
                limit = max(self.heartbeat_timeout, 2 * tailer.heartbeat_s)
                if tailer.heartbeat_s and silent > limit and not silent_told[0]:
                    pid = self.writer_pid
                    silent_told[0] = True
                    self.on_status({"status": "primary_silent", "seq": self.last_seq,
                                    "silent_s": round(silent, 3), "pid": pid,
                                    "action": self.on_silence})
                    if self.on_silence == "fence":
                        lost.append(Loss(FailoverReason.HEARTBEAT_TIMEOUT, now, silent, pid))
                        return True
            return False

        try:
            for report in rolling_states(tailer, done, follow=True):
                self.last_seq = report["seq"]
                self.on_status(report)
        finally:
            tailer.close()
        return lost[0] if lost else None

    def fence(self, loss: Loss, stop: threading.Event) -> bool:
        """SIGKILLs the silent primary ``loss.pid`` if it still holds the writer lock, then
        waits for the lock to be released; True once it is."""
        holder = writer_alive(Path(self.path))
        if holder is not None and holder > 0 and holder == loss.pid and holder != os.getpid():
            with contextlib.suppress(ProcessLookupError):  # it died meanwhile
                os.kill(holder, signal.SIGKILL)
        deadline = time.monotonic() + FENCE_WAIT_S
        while writer_alive(Path(self.path)) is not None:
            if stop.is_set() or time.monotonic() > deadline:
                return False
            stop.wait(0.005)
        return True

    def run(self, stop: threading.Event) -> Takeover | None:
        """Follows, and takes over when the primary is lost and this standby wins the election;
        the new node runs until ``stop``. Returns None if stopped (or the primary ended)
        before a takeover."""
        silence: Loss | None = None
        while not stop.is_set():
            loss = self.follow(stop, wait_for_writer=silence is None)
            if loss is None:
                return None
            if not self.lock.acquire():
                stop.wait(self.poll_s)  # another standby is taking over: follow it
                continue
            if loss.reason == FailoverReason.HEARTBEAT_TIMEOUT:
                silence = loss
                if not self.fence(loss, stop):
                    self.on_status({"status": "fence_failed", "pid": loss.pid,
                                    "seq": self.last_seq})
                continue  # fold what the fenced primary committed; the lock is free then
            if writer_alive(Path(self.path)) is not None:  # a primary came back first
                self.lock.release()
                continue
            how = silence or loss
            takeover = Takeover(self.last_seq, how.lost_at, how.reason, how.pid, how.silent_s)
            arm_failover(last_seq_seen=self.last_seq, old_writer_pid=how.pid,
                         new_writer_pid=os.getpid(), reason=int(how.reason),
                         silent_ns=round(how.silent_s * 1e9))
            self.on_takeover(takeover)
            takeover.run = self.make_node(self.config, self.path).run(stop)
            return takeover
        return None


def _end(path: str) -> int:
    from journal.reader import JournalReader
    from journal.store import Journal

    with Journal.open(path, readonly=True) as journal:
        return JournalReader(journal).last_seq()
