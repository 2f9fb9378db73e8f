"""The kernel's publish path: ``publish`` (a batch), ``publish_one`` (one record, inline) and
``publish_quiet`` (a quiet run, :mod:`engines.quiet`).

Design contract:
- ``publish`` writes a batch into the ring, runs the general drain and flushes the journal;
  then commands held for external venues that the flush committed are handed out
  (:mod:`engines.kernel_outbound`);
- ``publish_one`` writes one record into its slot and, when the ring was drained before (the
  usual case), hands it to the journal and the fused consumer straight from the slot; what the
  handlers emit is published and handled run by run (:meth:`KernelPublishing._cascade`) exactly
  as the drain loop would (same records, same seqs, same order); a run that wraps the ring or is
  long (``BATCH_MIN``) goes to the general drain; with ``journal_lag`` the journal takes the
  records in runs, before the ring could overwrite any it has not taken;
- ``publish_quiet`` writes a quiet run as ``publish_one`` would write its records one by one
  (same bytes, seqs, journal), runs the reducers only and each reactor's ``skip_quiet`` once;
- with ``defer_flush`` (a live node's group commit) neither flushes the journal nor hands out
  held commands: :meth:`engines.kernel.Kernel.end_batch` does, once per inbox take;
- a handler or a journal flush that raises faults the kernel (``_fault``) and propagates; a
  faulted kernel refuses every later record with :class:`KernelFaulted` (crash-only).

A mixin of :class:`engines.kernel.Kernel`: a delegating method would cost a call per record on
the one-at-a-time path (``perf/backtest_quotes.py``).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from engines.kernel_errors import KernelError
from engines.stage import BATCH_MIN

if TYPE_CHECKING:
    from engines.context import KernelContext
    from engines.emit_buffer import EmitBuffer
    from engines.kernel_consumer import KernelConsumer
    from engines.kernel_errors import KernelFaulted
    from engines.kernel_outbound import Outbound
    from engines.scheduler import Scheduler
    from journal.sink import JournalSink
    from ringbus.drain_loop import DrainLoop
    from ringbus.ring import Ring

_SEQ_PACK = struct.Struct("<Q").pack_into


class KernelPublishing:
    """Publishing into the kernel's ring; the attributes below are set by ``Kernel.__init__``."""

    ring: Ring
    journal: JournalSink | None
    outbound: Outbound
    faulted: BaseException | None
    journal_lag: int
    consumer: KernelConsumer
    _loop: DrainLoop | None
    _drained_at: int
    _flushed_at: int
    defer_flush: bool
    _fast: tuple[Any, ...]
    _journal_consumer: Any
    _ring_mem: memoryview
    ctx: KernelContext
    scheduler: Scheduler
    # methods of Kernel that the publish path calls
    loop: DrainLoop
    _build: Callable[[], DrainLoop]
    _fault: Callable[[BaseException], None]
    _refuse: Callable[[], KernelFaulted]
    release_outbound: Callable[[], int]

    def publish(self, records: np.ndarray) -> tuple[int, int]:
        """Publishes ``records`` as one batch, drains, flushes the journal; returns (first, last)."""
        if self.faulted is not None:
            raise self._refuse()
        loop = self.loop
        try:
            first, last = self.ring.publish_records(records)
            loop.drain()
            if self.consumer.deferred:
                self._run_deferred()
            self._drained_at = self.ring.cursor
            if self.journal is not None and not self.defer_flush:
                self.journal.flush()
        except BaseException as exc:
            self._drained_at = -1
            self._fault(exc)
            raise
        if self.outbound.held and not self.defer_flush:
            self.release_outbound()
        return first, last

    def publish_one(self, record: Any) -> int:
        """Publishes one record, drains, flushes the journal; returns its seq (one-at-a-time).

        ``record`` is a numpy record, a 1-record array, or a 128-byte memoryview slice. When the
        ring was drained before (the usual case), the record is handed to the journal and to the
        fused consumer straight from its slot; emitted records go through the general drain.
        """
        if self.faulted is not None:
            raise self._refuse()
        loop = self._loop if self._loop is not None else self._build()
        ring = self.ring
        try:
            drained = ring.cursor == self._drained_at
            if type(record) is memoryview:
                seq = ring.publish_bytes(record)
            else:
                seq = ring.publish_record(record)
            off = (seq & (ring.capacity - 1)) << 7
            if drained:
                on_journal, journal_seq, handle, mem, kernel_seq, outbox = self._fast
                if on_journal is not None:
                    idx = off >> 7
                    on_journal(ring.buffer[idx : idx + 1])
                    journal_seq.value = seq
                elif journal_seq is not None and seq - journal_seq.value >= self.journal_lag:
                    self._journal_consumer.consume()
                handle(mem, off)
                kernel_seq.value = seq
                if outbox._pending:
                    self._cascade(on_journal, journal_seq, handle, mem, kernel_seq, outbox)
            else:
                loop.drain()
            if self.consumer.deferred:
                self._run_deferred()
            self._flush_published()
        except BaseException as exc:
            self._drained_at = -1
            self._fault(exc)
            raise
        if self.outbound.held and not self.defer_flush:
            self.release_outbound()
        return seq

    def publish_quiet(self, data: memoryview, run: Any, reactors: tuple[Any, ...]) -> int:
        """Publishes ``data`` (the bytes of a quiet run's records: every reactor in ``reactors``
        said so with ``quiet_count``) as one batch: the journal takes them as one by one would,
        the reducers apply them, each reactor gets ``skip_quiet(kind, run, ctx)`` once instead
        of a call per record; then flushes the journal as ``publish_one`` does. Returns the last
        seq. A reactor that emits or schedules anyway faults the kernel (its answer was wrong).
        """
        if self.faulted is not None:
            raise self._refuse()
        loop = self._loop if self._loop is not None else self._build()
        ring = self.ring
        try:
            if ring.cursor != self._drained_at:
                loop.drain()
                if self.consumer.deferred:
                    self._run_deferred()
            on_journal, journal_seq, _, mem, kernel_seq, outbox = self._fast
            n = len(data) >> 7
            cap = ring.capacity
            first = ring.cursor + 1
            start = first & (cap - 1)
            last = first + n - 1
            if journal_seq is not None and on_journal is None and \
                    last - journal_seq.value > self.journal_lag:
                # a lagging journal takes what it has not yet before the run is claimed (as
                # ``_cascade``): it never lags more than ``journal_lag`` + a run (QUIET_MAX)
                self._journal_consumer.consume()
            if start + n <= cap:  # the usual run: copied as bytes, seqs stamped (as _cascade)
                self._write_run(mem, data, start, first, n)
                spans = [ring.buffer[start : start + n]]
            else:
                ring.publish_records(np.frombuffer(data, dtype=ring.buffer.dtype))
                spans = ring.views(first, last)
            if on_journal is not None:
                for span in spans:
                    on_journal(span)
                journal_seq.value = last
            off = start << 7
            for span in spans:
                self.consumer.reduce_quiet(span, mem, off, run.kind)
                off = 0
            kernel_seq.value = last
            ctx = self.ctx
            kind = run.kind
            scheduled = self.scheduler._counter
            for comp in reactors:
                comp.skip_quiet(kind, run, ctx)
            if outbox._pending or self.scheduler._counter != scheduled:
                raise KernelError(
                    f"seqs {first}..{last}: a quiet run emitted or scheduled records (a reactor's "
                    f"quiet_count was wrong: {[c.component_id for c in reactors]})")
            self._flush_published()
        except BaseException as exc:
            self._drained_at = -1
            self._fault(exc)
            raise
        if self.outbound.held and not self.defer_flush:  # as after any publish
            self.release_outbound()
        return last

    def _run_deferred(self) -> None:
        """Runs the strategies' reactions to market data that waited for the engines'
        consequences (``KernelConsumer.deferred``), in seq order, once the ring is drained:
        each with the time and seq of its record (what it emits is caused by that record),
        then what it emitted is published and handled as any cascade. The context's seq and
        time are left as the last record handled left them."""
        deferred = self.consumer.deferred
        ctx = self.ctx
        fast = self._fast
        outbox = fast[5]
        while deferred:
            handlers, rec = deferred.pop(0)
            seq, now = ctx.current_seq, ctx.now_ns
            ctx.current_seq = rec[0]
            ctx.now_ns = rec[2]
            for fn in handlers:
                fn(rec, ctx)
            if outbox._pending:
                self._cascade(*fast)  # drains the ring (the general drain for a long run)
            else:
                ctx.current_seq, ctx.now_ns = seq, now

    def _flush_published(self) -> None:
        """After a publish drained the ring: notes it, and flushes the journal when it holds
        records it has not flushed (unless a live node's group commit defers it)."""
        self._drained_at = self.ring.cursor
        journal_seq = self._fast[1]
        if journal_seq is not None and journal_seq.value != self._flushed_at and \
                not self.defer_flush:
            # a flush decides from the records the journal holds: with none new (a lagging
            # journal between its runs) it would decide as the last one did
            self._flushed_at = journal_seq.value
            self.journal.flush()  # type: ignore[union-attr]

    def _write_run(self, mem: memoryview, data: Any, start: int, first: int, n: int) -> None:
        """Claims ``n`` slots from slot ``start`` (no wrap), copies ``data`` (``n`` records'
        bytes) into them, stamps seqs ``first..`` and publishes them."""
        ring = self.ring
        ring.claim(n)
        lo = start << 7
        mem[lo : lo + (n << 7)] = data
        for i in range(n):
            _SEQ_PACK(mem, lo + (i << 7), first + i)
        ring.publish(first + n - 1)

    def _cascade(self, on_journal: Any, journal_seq: Any, handle: Any, mem: memoryview,
                 kernel_seq: Any, outbox: EmitBuffer) -> None:
        """Publishes and handles what handlers emitted, run by run, as the drain loop would.

        Each run (everything pending) is written into the ring after the last seq, handed to the
        journal as one batch, then to the fused consumer record by record; what that emits is
        the next run. A run that wraps the ring or is long (``BATCH_MIN``) goes to the general
        drain (same records, same seqs, same order). A lagging journal (``journal_lag``) is
        caught up first when the run would put it more than ``journal_lag`` records behind.
        """
        ring = self.ring
        cap = ring.capacity
        while outbox._pending:
            pending = outbox._pending
            n = len(pending) >> 7
            first = ring.cursor + 1
            start = first & (cap - 1)
            if n >= BATCH_MIN or start + n > cap or not self.consumer._kinds:
                outbox.flush_into(ring)
                self.loop.drain()
                return
            if on_journal is None and journal_seq is not None and \
                    first + n - 1 - journal_seq.value > self.journal_lag:
                # a lagging journal takes what it has not yet before the run is claimed: it
                # then never lags more than ``journal_lag + BATCH_MIN`` (< capacity) records
                self._journal_consumer.consume()
            lo = start << 7
            self._write_run(mem, pending, start, first, n)
            pending.clear()
            last = first + n - 1
            if on_journal is not None:
                on_journal(ring.buffer[start : start + n])
                journal_seq.value = last
            for off in range(lo, lo + (n << 7), 128):
                handle(mem, off)
            kernel_seq.value = last
