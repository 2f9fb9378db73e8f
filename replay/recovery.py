"""Crash recovery is startup: a node started on a journal whose last run has no end recovers it.

Design contract:
- :func:`plan_recovery` reads the journal the node's writer opened: nothing to recover when it
  is empty or its last run ended (CLEAN); otherwise the crashed run, the root of its lineage
  (runs that continue crashed runs), its manifest (which must have the node's config hash and
  seed: the same command) and the newest node snapshot at or below the end;
- the node then builds its kernel as usual but with a :class:`RecoveringJournal` in place of the
  writer: from the snapshot (full kernel, ``all`` scope, checked against the hash stored with
  it) or from the lineage's first record, it re-executes the same data in a verifying mode:
  every record it produces at a journaled seq must equal the journal's and is not appended;
  RUN_RECOVERED / continuation RUN_STARTED pairs of earlier recoveries are re-published where
  the journal has them; once the journal is verified to its end (possibly mid-cascade, whose
  remaining records are appended), RUN_RECOVERED (crashed run, its last seq, the snapshot seq,
  the recovered state hash) and a continuation RUN_STARTED (parent = the crashed run, the same
  manifest string) are appended, and the run goes on appending from the next seq; a standby
  taking the journal over arms a FAILOVER first (:func:`arm_failover`): it is appended between
  the two (its ``crashed_run_id`` is the crashed run's);
- the data source resumes where the snapshot was taken (``inputs`` published) and the inputs up
  to the journal's end are verified like every other record, so appending starts at the first
  input not journaled;
- this module is every node's start (:class:`NodeStart`, :class:`Snapshotter`); the plan, the
  recovering journal and the snapshot's restore live in :mod:`replay.recovery_plan`, imported
  only when the journal already holds records (a fresh run loads neither it nor
  :mod:`replay.rebuild`);
- :class:`Snapshotter` takes node snapshots (kernel snapshot + resume point) every
  ``every_records`` records or ``every_ns`` of ts_init, after a committed publish.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from engines.kernel import Kernel
from journal.runs import RunManifest
from replay.errors import CompletedRunError, RecoveryError

if TYPE_CHECKING:
    from replay.recovery_plan import RecoveryPlan

__all__ = ["CompletedRunError", "NodeStart", "RecoveryError", "Snapshotter"]


@attrs.define
class Snapshotter:
    """Writes node snapshots into the journal; call it after every publish (the loop's
    ``on_publish``) with the number of data inputs published so far."""

    kernel: Kernel
    writer: Any
    lineage_first_seq: int
    every_records: int = 0
    every_ns: int = 0
    ready: Callable[[], bool] = lambda: True
    extra: dict[str, Any] = attrs.Factory(dict)
    #: Inputs of the stream skipped before this loop started (resumed from a snapshot).
    inputs_offset: int = 0
    last_seq: int = 0
    last_ts: int = 0
    taken: list[int] = attrs.Factory(list)

    @property
    def cadence(self) -> bool:
        """True when it takes snapshots by itself (``every_records`` or ``every_ns``); without
        one, calling it after a publish does nothing and only :meth:`take` snapshots."""
        return bool(self.every_records or self.every_ns)

    def __call__(self, n_inputs: int) -> None:
        kernel = self.kernel
        seq, ts = kernel.last_seq, kernel.ctx.now_ns
        if not self.last_seq:
            self.last_seq, self.last_ts = seq, ts
            return
        due = (self.every_records and seq - self.last_seq >= self.every_records) or \
            (self.every_ns and ts - self.last_ts >= self.every_ns)
        if due and self.ready():
            self.take(n_inputs)

    def quiet_span(self, first_seq: int, ts: list[int]) -> int:
        """How many leading inputs of a quiet run (seqs from ``first_seq``, times ``ts``) may be
        published as one batch (:func:`replay.loop.run`): up to and including the first at
        which a snapshot would fall due, so snapshots land where one by one puts them."""
        if not self.cadence:
            return len(ts)
        if not self.last_seq:
            return 1  # the first call only notes where the cadence starts
        n = len(ts)
        if self.every_records:
            n = min(n, max(1, self.last_seq + self.every_records - first_seq + 1))
        if self.every_ns:
            n = min(n, bisect_left(ts, self.last_ts + self.every_ns) + 1)
        return n

    def take(self, n_inputs: int) -> int:
        """Commits the journal and stores a snapshot at the last seq; returns that seq."""
        from replay.rebuild import NODE_SNAPSHOT_FORMAT  # with the first snapshot only

        kernel = self.kernel
        seq = kernel.last_seq
        kernel.sync_journal()
        self.writer.commit()
        kdoc, arrays = kernel.snapshot()
        doc = {"format": NODE_SNAPSHOT_FORMAT, "kernel": kdoc, "node": {
            **self.extra, "inputs": self.inputs_offset + n_inputs,
            "lineage_first_seq": self.lineage_first_seq,
            "state_hash_all": f"{kernel.state_hash('all'):016x}"}}
        self.writer.write_snapshot(seq, doc, arrays)
        self.last_seq, self.last_ts = seq, kernel.ctx.now_ns
        self.taken.append(seq)
        return seq


@attrs.define
class NodeStart:
    """How a node starts on its journal: appending a new run, or recovering a crashed one.

    The entry point of a node: ``NodeStart.open(writer, manifest)``, then build the kernel with
    ``journal=start.journal, first_seq=start.kernel_seq``, ``start.attach(kernel)``, register
    the components, then either ``start.restore(kernel)`` (``from_snapshot``) or the usual
    setup; loop with ``on_publish=start.snapshotter(...)``; before RUN_ENDED call
    ``check_caught_up`` and take the run id from ``run_id``."""

    writer: Any
    plan: RecoveryPlan | None
    journal: Any
    kernel_seq: int
    first_seq: int

    @classmethod
    def open(cls, writer: Any, manifest: RunManifest) -> NodeStart:
        if writer.next_seq == 1:  # a new journal: nothing to recover (nor to import for it)
            return cls(writer, None, writer, writer.next_seq, writer.next_seq)
        from journal.reader import JournalReader
        from replay.recovery_plan import RecoveringJournal, plan_recovery

        plan = plan_recovery(writer.journal, manifest)
        if plan is None:
            return cls(writer, None, writer, writer.next_seq, writer.next_seq)
        kernel_seq = plan.snapshot_seq + 1 if plan.snapshot is not None else plan.root.first_seq
        journal = RecoveringJournal(plan, JournalReader(writer.journal), writer, manifest,
                                    kernel_seq)
        return cls(writer, plan, journal, kernel_seq, plan.root.first_seq)

    @property
    def from_snapshot(self) -> bool:
        return self.plan is not None and self.plan.snapshot is not None

    @property
    def appending(self) -> bool:
        """True when records go to the journal (a fresh run, or a recovery that caught up)."""
        return self.plan is None or self.journal.caught_up

    def attach(self, kernel: Kernel) -> None:
        if self.plan is not None:
            self.journal.kernel = kernel

    def restore(self, kernel: Kernel) -> tuple[int, tuple[int, int]]:
        """Restores the snapshot; returns (data inputs to skip, the run's starting equity)."""
        assert self.plan is not None and self.plan.snapshot is not None
        from replay.recovery_plan import restore_node

        skip = restore_node(kernel, self.plan, self.journal.reader)
        ts, equity = self.plan.snapshot[1]["node"]["start_equity"]
        self.journal.flush()  # marks the log now when the snapshot is at the journal's end
        return skip, (int(ts), int(equity))

    def snapshotter(self, kernel: Kernel, writer: Any, every_records: int,
                    extra: dict[str, Any], every_ns: int = 0) -> Snapshotter:
        """Returns the snapshotter of the node (called after every publish with the data
        inputs published so far; no cadence: it takes only the snapshots asked for)."""
        return Snapshotter(kernel, writer, self.first_seq, every_records, every_ns,
                           ready=lambda: self.appending, extra=extra)

    def run_at(self, seq: int, default: tuple[int, int]) -> tuple[int, int]:
        """Returns (run id, first seq) of the run holding ``seq`` (``default``: a new run)."""
        return default if self.plan is None else self.plan.run_at(seq)

    def check_caught_up(self, kernel: Kernel) -> None:
        """Raises RecoveryError when the data ended before the journal did."""
        if not self.appending:
            assert self.plan is not None
            raise RecoveryError(
                f"{self.writer.journal.path}: the recovered run ended at seq {kernel.last_seq} "
                f"but the journal holds records up to seq {self.plan.last_seq}: the data is "
                "not the data of the crashed run")

    def run_id(self, default: int) -> tuple[int, int]:
        """Returns (run id, first seq) of the run being appended."""
        if self.plan is None:
            return default, self.first_seq
        return self.journal.run_id, self.journal.run_first_seq
