"""The kernel: builds the ring, the fused consumer and the stages; runs the component lifecycle.

Design contract:
- the ring has at most two consumers: ``journal`` (when a journal is given), then ``kernel``,
  the fused consumer (:mod:`engines.kernel_consumer`) that runs, per record, the stages
  ``state`` -> ``engines`` -> ``strategies``; mode ``"rebuild"`` runs ``state`` only (replay of
  a journal to a seq);
- components are registered in a defined order and each goes to one stage: reducers to
  ``state``, strategies and actors to ``strategies``, other reactors to ``engines`` (or the stage
  named at registration); registration interns the component id (its ``source_id``);
- ``start()`` starts every component in registration order; ``stop()`` and ``dispose()`` go in
  reverse registration order (strategies first, so their last commands still reach running
  engines); records emitted by lifecycle hooks are published and drained after each component;
- ``publish_one`` (:mod:`engines.kernel_publish`) is the one-at-a-time path: the record is
  written into its ring slot, the journal and the fused consumer run on it directly, and only
  when something was emitted does the general drain take over;
- ``journal_lag=N`` (opt-in, for runs where no record leaves the process, e.g. backtests with
  durability ``none``) lets the journal take records in runs of up to N instead of one by one;
  it then runs beside the fused consumer rather than before it (same records, same order);
  :meth:`Kernel.sync_journal` (called by ``stop``, by a snapshot and when the kernel faults)
  catches it up, so a faulted run journals the same records as without a lag;
- everything runs on the calling thread; a handler or a journal flush that raises propagates
  out of ``publish*`` and faults the kernel (crash-only, :meth:`Kernel._fault`): every stage is
  sealed (no handler runs again), the fused consumer's sequence moves to the cursor (no record
  is re-applied), emitted and held records are dropped, and every later ``publish*`` raises
  :class:`KernelFaulted`; the journal holds a contiguous prefix (what it took up to the fault,
  the faulting record included), and restart is recovery;
- outputs after commit (:mod:`engines.kernel_outbound`): a venue registered with
  :meth:`Kernel.register_external_client` gets each command only once the journal's
  ``committed_seq`` reaches it (checked after every flush); the simulated exchange, inside the
  deterministic core, is called while the command is handled;
- group commit (a live node, :meth:`replay.nodes.driver.NodeDriver.feed_live`): with
  ``defer_flush`` set, publishes neither flush the journal nor hand out held commands;
  :meth:`Kernel.end_batch` does both once per inbox take, committing at once when a command is
  held (so it never waits for the durability policy's window, and ``sync`` fsyncs once per take);
- ``state_hash()`` is a blake2b-64 over the digests of the ``state`` components (what a journal
  replay rebuilds), in registration order; ``state_hash(scope="all")`` covers every component
  and the scheduler (what two executions of the same inputs must agree on);
- ``snapshot()`` / ``Kernel.restore()`` (see :mod:`engines.kernel_snapshot`) round-trip every
  component's state and the scheduler.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from domain.digest import blake2b
from domain.strings import StringTable
from engines.component import Component, Reducer
from engines.context import KernelContext
from engines.emit_buffer import EmitBuffer
from engines.kernel_consumer import KernelConsumer
from engines.kernel_errors import KernelError, KernelFaulted
from engines.kernel_outbound import DeferredClient, ExternalExecutionClient, Outbound
from engines.kernel_publish import KernelPublishing
from engines.kernel_snapshot import restore_kernel, snapshot_kernel
from engines.quiet import ENV_SWITCH
from engines.scheduler import Scheduler
from engines.stage import Stage
from ringbus.drain_loop import DrainLoop
from ringbus.graph import ConsumerGraph
from ringbus.ring import Ring

if TYPE_CHECKING:
    from journal.sink import JournalSink

STAGES = ("state", "engines", "strategies")


class Kernel(KernelPublishing):
    """The single-threaded core: ring, stages, components, context, scheduler.

    The publish path (``publish``, ``publish_one``) comes from
    :class:`engines.kernel_publish.KernelPublishing`.
    """

    def __init__(
        self,
        capacity: int = 1 << 16,
        journal: JournalSink | None = None,
        mode: str = "execute",
        first_seq: int = 1,
        journal_lag: int = 0,
    ) -> None:
        if mode not in ("execute", "rebuild"):
            raise KernelError(f"mode must be 'execute' or 'rebuild', got {mode!r}")
        if not 0 <= journal_lag <= capacity // 2:
            raise KernelError(
                f"journal_lag must be in 0..capacity // 2 = {capacity // 2}, got {journal_lag}"
            )
        self.journal_lag = journal_lag if journal is not None else 0
        self.mode = mode
        self.ring = Ring(capacity, first_seq=first_seq)
        self.journal = journal
        self.strings = StringTable()
        self.scheduler = Scheduler()
        # One outbox: records emitted by lifecycle hooks (published by ``publish_setup``) and by
        # handlers (published by the drain after the consumer's batch).
        self._setup_outbox = EmitBuffer()
        self.ctx = KernelContext(self.strings, self.scheduler, self._setup_outbox)
        self.ctx.ring = self.ring  # read-only: records published but not yet handled
        self.stages: dict[str, Stage] = {
            "state": Stage("state", reactors=False),
            "engines": Stage("engines", reactors=True),
            "strategies": Stage("strategies", reactors=True),
        }
        names = ("state",) if mode == "rebuild" else STAGES
        self._ring_mem = memoryview(self.ring.buffer.view(np.uint8))
        self.ctx.ring_bytes = self._ring_mem  # read-only, as ``ctx.ring``
        self.consumer = KernelConsumer(
            self.ctx, [self.stages[n] for n in names], self._setup_outbox
        )
        self._drained_at = -1
        self._fast: tuple[Any, ...] = ()
        self._flushed_at = -1
        self._journal_consumer: Any = None
        self.components: list[Component] = []
        self._stage_of: dict[str, str] = {}
        self._loop: DrainLoop | None = None
        #: Commands for external venues, held until committed (:mod:`engines.kernel_outbound`).
        self.outbound = Outbound()
        #: Group commit: publishes leave the journal's flush and the release of held commands
        #: to :meth:`end_batch` (set by a live driver around its takes).
        self.defer_flush = False
        #: The exception that faulted the kernel (None while healthy), and the seq it handled.
        self.faulted: BaseException | None = None
        self.faulted_seq = 0
        #: Quiet runs (:mod:`engines.quiet`): on unless ``RINGBUS_QUIET_RUNS=0``; tests compare
        #: the two paths by setting it.
        self.quiet_runs = os.environ.get(ENV_SWITCH, "1") != "0"

    # --- wiring ----------------------------------------------------------------------------------
    def register(self, component: Component, stage: str | None = None) -> Component:
        """Adds ``component`` (READY after this) to a stage; returns it.

        Default stage: ``state`` for reducers, ``strategies`` for actors, ``engines`` otherwise.
        """
        if self._loop is not None:
            raise KernelError(
                f"cannot register {component.component_id!r}: the kernel is already built"
            )
        if component.component_id in self._stage_of:
            raise KernelError(f"component id {component.component_id!r} is registered twice")
        stage = stage or _default_stage(component)
        if stage not in self.stages:
            raise KernelError(f"stage must be one of {STAGES}, got {stage!r}")
        component.initialize()
        component.source_id = self.ctx.intern(component.component_id)  # type: ignore[attr-defined]
        if self.ctx.cache is None and getattr(component, "is_cache", False):
            self.ctx.cache = component
        on_register = getattr(component, "on_register", None)
        if on_register is not None:
            on_register(self)
        self.components.append(component)
        self._stage_of[component.component_id] = stage
        self.stages[stage].add(component)
        return component

    def component(self, component_id: str) -> Component:
        """Returns the registered component called ``component_id`` (KeyError names it)."""
        for comp in self.components:
            if comp.component_id == component_id:
                return comp
        raise KeyError(f"no component {component_id!r}")

    def register_external_client(self, client: ExternalExecutionClient) -> None:
        """Registers the execution client of a venue outside the process: it gets each command
        only once the journal committed it (see :mod:`engines.kernel_outbound`)."""
        self.ctx.register_client(client.venue, DeferredClient(client, self.outbound))

    def release_outbound(self) -> int:
        """Hands every held command the journal has committed to its client; returns how many.
        Without a journal every held command goes (nothing is durable to wait for)."""
        journal = self.journal
        committed = journal.committed_seq if journal is not None else self.ring.cursor
        try:
            return self.outbound.release(committed)
        except BaseException as exc:
            self._fault(exc)
            raise

    def end_batch(self) -> int:
        """Ends a group of publishes made with ``defer_flush``: flushes the journal, committing
        at once when a command for an external venue is held, then hands out what is
        committed; returns how many commands went. A failed commit faults the kernel."""
        journal = self.journal
        if journal is not None and self.faulted is None:
            try:
                self.sync_journal()
                if self.outbound.held:
                    journal.commit()
                else:
                    journal.flush()
            except BaseException as exc:
                self._fault(exc)
                raise
        return self.release_outbound() if self.outbound.held else 0

    def _build(self) -> DrainLoop:
        graph = ConsumerGraph()
        after: list[str] = []
        if self.journal is not None:
            graph.add("journal", self.journal)
            # With a lag the journal is a second leaf (both gate the ring): it takes records in
            # runs of up to ``journal_lag``; nothing is reordered, only delivered later.
            after = [] if self.journal_lag else ["journal"]
        graph.add("kernel", self.consumer, after=after, outbox=self.consumer.outbox)
        loop = self._loop = DrainLoop(self.ring, graph)
        journal = loop.consumer("journal") if self.journal is not None else None
        self._journal_consumer = journal
        self._fast = (
            None if journal is None or self.journal_lag else self.journal.on_batch,
            journal.sequence if journal is not None else None,
            self.consumer.handle, self._ring_mem, loop.consumer("kernel").sequence,
            self.consumer.outbox,
        )
        self._refresh()
        return loop

    def _refresh(self) -> None:
        for stage in self.stages.values():
            stage.refresh()
        self.consumer.refresh()
        self.ctx.reactions_changed()

    def reacts_to(self, kind: int, instrument_id: int) -> bool:
        """Returns True when some running engine or strategy may react to an input of the pair."""
        return self.mode != "rebuild" and self.consumer.reacts_to(kind, instrument_id)

    @property
    def loop(self) -> DrainLoop:
        """The drain loop (built on first use; registration is closed afterwards)."""
        return self._loop if self._loop is not None else self._build()

    # --- quiet runs (engines/quiet.py) --------------------------------------------------------------
    def quiet_reactors(self, kind: int, instrument_id: int) -> tuple[Component, ...] | None:
        """The reactors of the pair's route when quiet runs apply to it (all implement the
        protocol and the switch is on), else None (:meth:`KernelConsumer.quiet_reactors`)."""
        if not self.quiet_runs or self.mode == "rebuild":
            return None
        return self.consumer.quiet_reactors(kind, instrument_id)

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Starts every component in registration order, publishing what their hooks emit
        (a faulted kernel raises KernelFaulted)."""
        if self.faulted is not None:
            raise self._refuse()
        if self._loop is None:
            self._build()
        self.publish_setup()
        for comp in self.components:
            comp.start()
            self._refresh()
            self.publish_setup()

    def stop(self) -> None:
        """Stops running components in reverse registration order, draining after each; then
        hands the journal every record (see :meth:`sync_journal`) and, when commands for external
        venues are held, commits it and hands them out."""
        for comp in reversed(self.components):
            if comp.is_running:
                comp.stop()
                self.publish_setup()
                self._refresh()
        self.sync_journal()
        if self.outbound.held and self.journal is not None and self.faulted is None:
            try:
                self.journal.commit()
            except BaseException as exc:  # a failed commit faults, as in publish
                self._fault(exc)
                raise
            self.release_outbound()

    def sync_journal(self) -> None:
        """Hands the journal every published record it has not taken yet (with ``journal_lag``
        it runs behind by up to that many records; call this before committing it)."""
        if self._loop is not None and self._journal_consumer is not None:
            self._journal_consumer.consume()

    def dispose(self) -> None:
        """Disposes every component (stopping it first when running), in reverse order."""
        self.stop()
        for comp in reversed(self.components):
            if comp.state.name in ("READY", "STOPPED"):
                comp.dispose()
        self._refresh()

    def publish_setup(self) -> None:
        """Publishes the records emitted outside any stage (setup, lifecycle hooks) and drains."""
        outbox = self._setup_outbox
        if self.mode == "rebuild":
            # The journal being rebuilt holds these records already (same registration order).
            outbox.take()
            return
        if outbox._pending:
            self.publish(outbox.take())

    def intern(self, text: str, input_record: bool = True) -> int:
        """Returns the id of ``text``, publishing its STRING records (INPUT-flagged by default:
        strings a node interns for its sources, e.g. instrument symbols, are inputs)."""
        string_id, records = self.strings.intern(text)
        if records is not None:
            records["ts_event"] = self.ctx.now_ns
            records["ts_init"] = self.ctx.now_ns
            if input_record:
                records["flags"] = 1
            self.publish(records)
        return string_id

    def _fault(self, exc: BaseException) -> None:
        """Seals the kernel after ``exc`` (see the module contract); the first fault is kept."""
        if self.faulted is None:
            self.faulted = exc
            self.faulted_seq = self.ctx.current_seq
        self.ctx.leave_stage()
        self._setup_outbox.take()  # half of a handler's output: never published
        self.outbound.drop()
        for stage in self.stages.values():
            stage.seal()
        self.consumer.refresh()
        if self._loop is not None:
            # the record that raised and any after it are never handed to a handler again
            self._loop.consumer("kernel").sequence.value = self.ring.cursor
        if self.journal_lag:
            # the journal holds every published record, the faulting one included, exactly as
            # without a lag (where it takes each record before the handlers run)
            try:
                self.sync_journal()
            except Exception as journal_exc:  # the kernel's fault stays the error raised
                exc.add_note(f"the journal could not catch up after the fault: {journal_exc!r}")
        for comp in self.components:
            if comp.is_running:
                comp.state = type(comp.state).FAULTED

    def _refuse(self) -> KernelFaulted:
        """Returns the error every ``publish*`` of a faulted kernel raises."""
        err = KernelFaulted(
            f"the kernel faulted at seq {self.faulted_seq} ({self.faulted!r}) and refuses "
            f"further records (crash-only: restart is recovery)", seq=self.faulted_seq)
        err.__cause__ = self.faulted
        return err

    # --- snapshots -------------------------------------------------------------------------------
    def snapshot(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Returns ``(doc, arrays)`` of the whole kernel (:mod:`engines.kernel_snapshot`)."""
        return snapshot_kernel(self)

    def restore(self, doc: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Restores a snapshot into this kernel (built with ``first_seq = last_seq + 1`` and the
        same components registered, none started)."""
        restore_kernel(self, doc, arrays)

    @classmethod
    def from_snapshot(
        cls, doc: dict[str, Any], arrays: dict[str, np.ndarray],
        setup: Callable[[Kernel], None], **kwargs: Any,
    ) -> Kernel:
        """Returns a kernel restored from a snapshot; ``setup(kernel)`` registers the components
        (as for the run that took it); ``kwargs`` go to the constructor (capacity, journal, mode)."""
        kernel = cls(first_seq=int(doc["last_seq"]) + 1, **kwargs)
        setup(kernel)
        kernel.restore(doc, arrays)
        return kernel

    # --- state -----------------------------------------------------------------------------------
    def state_components(self) -> list[Component]:
        """Returns the ``state`` stage components in registration order."""
        return [c for c in self.components if self._stage_of[c.component_id] == "state"]

    def state_hash(self, scope: str = "state") -> int:
        """Returns a 64-bit hash of derived state (``scope`` ``"state"`` or ``"all"``)."""
        h = blake2b(digest_size=8)
        comps = self.state_components() if scope == "state" else self.components
        for comp in comps:
            h.update(comp.component_id.encode() + b"\x00")
            comp.digest(h)
        if scope == "all":
            h.update(self.scheduler.digest_bytes())
        return int.from_bytes(h.digest(), "little")

    @property
    def cache(self) -> Any:
        """The registered cache (``ctx.cache``), or None."""
        return self.ctx.cache

    @property
    def last_seq(self) -> int:
        """The seq of the last published record."""
        return self.ring.cursor


def _default_stage(component: Component) -> str:
    if isinstance(component, Reducer):
        return "state"
    if getattr(component, "is_actor", False):
        return "strategies"
    return "engines"
