"""THE node driver: feeds a started kernel from an input source through the replay loop.

Design contract:
- :meth:`NodeDriver.feed` runs a stream of INPUT chunks (files, a journal's inputs, or both
  chained) through :func:`replay.loop.run`; data inputs (and HEARTBEATs) go to the loop,
  control inputs found in a journal's stream (:data:`replay.nodes.inputs.SEQ_KINDS`: STRING,
  RUN_STARTED, RUN_RECOVERED, RUN_ENDED of an interrupted run) are published at their own
  seq: right when the kernel's next seq is theirs, as the node that wrote them did. A RUN_ENDED that ends the run (CLEAN, FAULTED) stops the stream: the caller
  ends the run with :func:`replay.nodes.lifecycle.end_run` and the reason in ``ended``;
- :meth:`NodeDriver.feed_live` runs a :class:`replay.nodes.inputs.LiveInbox`: each take's
  records through the loop, then the timers due by the take's horizon (journaled as TIMER
  records even when no input arrives); one group commit per take (``Kernel.defer_flush``, then
  ``Kernel.end_batch``), and one more right after a publish that made an order for an external
  venue, which is then handed out (never after the durability window, nor after the rest of
  its take), under :func:`replay.nodes.latency.live_loop_policy`; when more than one command
  is held, the hand-out goes inside ``sends()`` (a live node's FIX venue: one session-store
  commit and one socket write for all of them); with ``commit_behind`` (a journal that commits on its
  own thread: ``sync``) an order-making publish hands the journal's records to that thread
  and the take goes on: each order leaves once its commit is known (checked after every
  publish) or at the end of its take, so a take's orders share commits and fsyncs instead of
  waiting for one each;
- ``on_publish(n)`` (e.g. a :class:`replay.recovery.Snapshotter`) is called after every
  publish with ``n`` = data inputs published so far (``data_offset`` included): the resume
  point of a snapshot;
- SIGINT (main thread, while :meth:`feed` runs) requests a stop: it is honoured right after
  the next data input's publish (never between a timer and its input), when ``may_stop()``
  says so; ``feed`` then returns with ``interrupted`` set and the ring drained.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import numpy as np

from domain.codec import as_kind
from domain.enums import RunEndReason
from domain.kinds import Kind
from engines.kernel import Kernel
from replay.loop import LoopStats, run, run_until
from replay.nodes.inputs import LiveInbox, loop_mask
from replay.nodes.latency import live_loop_policy
from replay.nodes.lifecycle import end_run


class _Stop(Exception):
    """Unwinds the loop at a clean point (SIGINT)."""


class NodeDriver:
    """Feeds one kernel (see the module contract)."""

    def __init__(self, kernel: Kernel, run_id: int, first_seq: int,
                 on_publish: Callable[[int], None] | None = None, data_offset: int = 0,
                 may_stop: Callable[[], bool] = lambda: True) -> None:
        self.kernel = kernel
        #: the run being appended (a continuation RUN_STARTED in a journal's stream moves it)
        self.run_id = run_id
        self.first_seq = first_seq
        self.on_publish = on_publish
        self.data = data_offset  # data inputs published (resume point)
        self.may_stop = may_stop
        self.stats = LoopStats()
        self.stop_requested = False
        self.interrupted = False
        #: the journaled RUN_ENDED (CLEAN or FAULTED) the stream stopped at, if any
        self.ended: np.ndarray | None = None
        self._controls: list[np.ndarray] = []
        self._last_n = -1
        self._settle: Callable[[], None] | None = None  # feed_live's, while it runs
        self._sends: Callable[[], AbstractContextManager[None]] = nullcontext
        self._commit_behind = False

    # --- feeding ---------------------------------------------------------------------------------
    def feed(self, chunks: Iterable[np.ndarray]) -> LoopStats:
        """Runs ``chunks`` to their end, a run-ending RUN_ENDED, or a SIGINT stop."""
        base = self.data
        with self._sigint():
            try:
                self._publish_controls()
                # the bound method itself when nothing is skipped (one call less per publish)
                after = self._after_publish if not base else \
                    (lambda n: self._after_publish(base + n))
                run(self.kernel, self._split(chunks), self.stats, on_publish=after,
                    quiet_span=self._quiet_span())
                self._publish_controls()
            except _Stop:
                self.interrupted = True
        return self.stats

    def feed_live(self, inbox: LiveInbox, timeout_s: float = 0.05,
                  settle: Callable[[], None] | None = None,
                  sends: Callable[[], AbstractContextManager[None]] = nullcontext,
                  commit_behind: bool = False) -> LoopStats:
        """Runs the inbox until it is closed and empty (see the module contract); ``settle``
        (e.g. :meth:`journal.writer.JournalWriter.settle`) is called after each group commit
        once its orders are handed out, and each group's hand-out runs inside ``sends()``."""
        kernel = self.kernel
        kernel.defer_flush = True
        self._settle = settle
        self._sends = sends
        self._commit_behind = commit_behind
        try:
            with live_loop_policy():
                while (taken := inbox.take(timeout_s)) is not None:
                    records, horizon = taken
                    if len(records):
                        base = self.data
                        run(kernel, [records], self.stats,
                            on_publish=lambda n, b=base: self._after_live_publish(b + n),
                            quiet_span=self._quiet_span())
                        self.data = base + len(records)
                    run_until(kernel, horizon, self.stats)
                    kernel.ctx.now_ns = max(kernel.ctx.now_ns, horizon)
                    self._grouped(kernel.end_batch)
                    if settle is not None:
                        settle()
        finally:
            kernel.defer_flush = False
            self._settle = None
            self._sends = nullcontext
            self._commit_behind = False
        return self.stats

    def _quiet_span(self) -> Callable[[int, list[int]], int] | None:
        """The ``on_publish`` callback's cut of quiet runs (a snapshotter's), if it has one."""
        return getattr(self.on_publish, "quiet_span", None)

    def _after_live_publish(self, n: int) -> None:
        """After a live publish: an order it made is committed and sent now, not at the end of
        a long take (the take's other inputs are committed with the next group); with
        ``commit_behind`` its commit is started and it goes once that is known."""
        self._after_publish(n)
        kernel = self.kernel
        if not kernel.outbound.held:
            return
        if self._commit_behind:
            self._hand_over(kernel)
            return
        self._grouped(kernel.end_batch)
        if self._settle is not None:
            self._settle()

    def _hand_over(self, kernel: Kernel) -> None:
        """``commit_behind``: starts the commit of what is journaled (the committer thread
        takes it; nothing waits) and hands out the held commands already committed."""
        try:
            kernel.sync_journal()
            kernel.journal.flush()
        except Exception:
            kernel.end_batch()  # raises the journal's error again, faulting the kernel
            raise
        if kernel.outbound.held[0][0] <= kernel.journal.committed_seq:
            self._grouped(kernel.release_outbound)

    def _grouped(self, release: Callable[[], int]) -> None:
        """Runs ``release`` (which may hand out held commands) inside ``sends()`` when more
        than one command is held (one alone goes without the group's overhead)."""
        if len(self.kernel.outbound.held) > 1:
            with self._sends():
                release()
        else:
            release()

    def _split(self, chunks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """Yields the data records of ``chunks``, cut at each control record (queued by seq,
        published when the kernel reaches its seq: between two cuts at the latest)."""
        for chunk in chunks:
            mask = loop_mask(chunk)
            if mask.all():
                self._publish_controls()
                yield chunk
                continue
            cuts = np.flatnonzero(~mask).tolist()
            stop = len(chunk)
            for i in cuts:
                rec = chunk[i : i + 1].copy()
                if int(rec["kind"][0]) == Kind.RUN_ENDED and int(as_kind(
                        rec, Kind.RUN_ENDED)["reason"][0]) != RunEndReason.INTERRUPTED:
                    self.ended, stop = rec, i
                    break
                self._controls.append(rec)
            lo = 0
            for i in [*(c for c in cuts if c < stop), stop]:
                self._publish_controls()
                if i > lo:
                    yield chunk[lo:i]
                lo = i + 1
            if self.ended is not None:
                self._publish_controls()
                return

    def _after_publish(self, n: int) -> None:
        self.data = n
        if self._controls:  # a journal's stream only: called after every publish
            self._publish_controls()
        if self.on_publish is not None:
            self.on_publish(n)
        if self.stop_requested and n > self._last_n and self.may_stop():
            self._last_n = n
            raise _Stop
        self._last_n = n

    def _publish_controls(self) -> None:
        kernel = self.kernel
        while self._controls and int(self._controls[0]["seq"][0]) == kernel.last_seq + 1:
            rec = self._controls.pop(0)
            kind = int(rec["kind"][0])
            if kind == Kind.RUN_ENDED:  # an interrupted run, resumed after it
                end_run(kernel, RunEndReason.INTERRUPTED, self.run_id, self.first_seq)
                continue
            kernel.publish(rec)
            if kind == Kind.RUN_STARTED:
                self.run_id = int(as_kind(rec, Kind.RUN_STARTED)["run_id"][0])
                self.first_seq = kernel.last_seq

    # --- SIGINT ----------------------------------------------------------------------------------
    @contextmanager
    def _sigint(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def request(signum: int, frame: Any) -> None:
            self.stop_requested = True

        old = signal.signal(signal.SIGINT, request)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, old)
