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
- :class:`Snapshotter` takes node snapshots (kernel snapshot + resume point) every
  ``every_records`` records or ``every_ns`` of ts_init, after a committed publish.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np

from domain.codec import as_kind, encode
from domain.enums import RecordFlag, RunEndReason
from domain.kinds import RECORD_DTYPE, Kind
from engines.kernel import Kernel
from journal.reader import JournalReader
from journal.runs import RunEndState, RunInfo, RunManifest, scan_runs
from journal.store import Journal
from replay.rebuild import NODE_SNAPSHOT_FORMAT, ReplayError, Snapshot, usable_snapshot
from replay.verifying import VerifyingJournal

INPUT = int(RecordFlag.INPUT)
SNAPSHOT_FORMAT = NODE_SNAPSHOT_FORMAT


class RecoveryError(ReplayError):
    """A journal cannot be recovered by this node (another config, a snapshot that does not fit)."""


class CompletedRunError(RecoveryError):
    """The journal's last run of this config completed: there is nothing to recover."""


@attrs.frozen
class RecoveryPlan:
    """What a node recovers: see :func:`plan_recovery`."""

    crashed: RunInfo
    root: RunInfo
    last_seq: int
    manifest_id: int
    snapshot: Snapshot | None
    #: the runs of the lineage, oldest first (the last is the crashed or interrupted one)
    runs: tuple[RunInfo, ...]
    #: newer snapshots skipped (damaged, another format) and what recovery starts from instead
    notes: tuple[str, ...] = ()

    @property
    def snapshot_seq(self) -> int:
        return self.snapshot[0] if self.snapshot is not None else 0

    def run_at(self, seq: int) -> tuple[int, int]:
        """Returns (run id, first seq) of the lineage's run that holds ``seq``."""
        run = next((r for r in reversed(self.runs) if r.first_seq <= seq), self.runs[0])
        return run.run_id, run.first_seq


def plan_recovery(journal: Journal, manifest: RunManifest) -> RecoveryPlan | None:
    """Returns what to recover, or None when the journal is empty or its last run ended."""
    runs = scan_runs(journal)
    if not runs or runs[-1].end_state == RunEndState.RECOVERED or (
            runs[-1].end_state == RunEndState.CLEAN and not _interrupted(journal, runs[-1])):
        if runs and runs[-1].end_state == RunEndState.CLEAN and _same_config(runs, manifest):
            raise CompletedRunError(
                f"{journal.path}: the journal already holds the completed run "
                f"{runs[-1].run_id:016x} of this config (seq {runs[-1].first_seq}.."
                f"{runs[-1].last_seq}): nothing to recover; use another --journal to run again")
        return None
    crashed = runs[-1]
    i = len(runs) - 1
    while i > 0 and runs[i].parent_run_id == runs[i - 1].run_id \
            and runs[i - 1].end_state == RunEndState.RECOVERED:
        i -= 1
    root = runs[i]
    known = root.manifest
    if known is None or (known.config_hash, known.seed) != (manifest.config_hash, manifest.seed):
        have = "no readable manifest" if known is None else \
            f"config hash {known.config_hash:016x} and seed {known.seed}"
        raise RecoveryError(
            f"{journal.path}: crashed run {crashed.run_id:016x} (seq {root.first_seq}.."
            f"{crashed.last_seq}) was started with {have}; this node has config hash "
            f"{manifest.config_hash:016x} and seed {manifest.seed}: recover it with the same "
            "command, or use another --journal")
    reader = JournalReader(journal)
    last = reader.last_seq()
    start = as_kind(reader.record(root.first_seq), Kind.RUN_STARTED)[0]
    snap, notes = usable_snapshot(journal, last, root.first_seq, SNAPSHOT_FORMAT)
    return RecoveryPlan(crashed, root, last, int(start["manifest_id"]), snap,
                        tuple(runs[i:]), tuple(notes))


def _interrupted(journal: Journal, run: RunInfo) -> bool:
    """True when ``run`` ended with RUN_ENDED reason INTERRUPTED (it resumes)."""
    rec = JournalReader(journal).record(run.last_seq)
    return rec is not None and int(rec["kind"][0]) == Kind.RUN_ENDED and \
        int(as_kind(rec, Kind.RUN_ENDED)["reason"][0]) == RunEndReason.INTERRUPTED


def _same_config(runs: list[RunInfo], manifest: RunManifest) -> bool:
    i = len(runs) - 1
    while i > 0 and runs[i].parent_run_id == runs[i - 1].run_id:
        i -= 1
    known = runs[i].manifest
    return known is not None and (known.config_hash, known.seed) == \
        (manifest.config_hash, manifest.seed)


_failover: list[dict[str, int]] = []


def arm_failover(**fields: int) -> None:
    """Makes the next recovery of this process append a FAILOVER of ``fields`` (a standby's
    takeover; :mod:`replay.nodes.standby`). One-shot; arming again replaces it."""
    _failover[:] = [fields]


def _take_failover(ts: int, crashed_run_id: int) -> np.ndarray:
    if not _failover:
        return np.zeros(0, dtype=RECORD_DTYPE)
    fields = _failover.pop()
    return encode(Kind.FAILOVER, ts_event=ts, ts_init=ts, flags=INPUT,
                  **{**fields, "crashed_run_id": crashed_run_id})


class RecoveringJournal(VerifyingJournal):
    """The verifying journal of a recovering node (see the module contract)."""

    def __init__(self, plan: RecoveryPlan, reader: JournalReader, writer: Any,
                 manifest: RunManifest, start_seq: int) -> None:
        super().__init__(reader, plan.last_seq, writer=writer, on_caught_up=self._mark,
                         start_seq=start_seq)
        self.plan = plan
        self.manifest = manifest
        self.kernel: Kernel | None = None
        self.run_id = plan.crashed.run_id
        self.run_first_seq = plan.crashed.first_seq
        self.recovered_hash = 0

    def _mark(self) -> None:
        kernel = self.kernel
        if kernel is None:
            raise RecoveryError("RecoveringJournal.kernel must be set before publishing")
        self.recovered_hash = kernel.state_hash()
        # not before the crashed run's last record: a control input (a HEARTBEAT) can end it
        # later than the kernel's time, which only data inputs move
        last = self.reader.record(self.plan.last_seq)
        ts = max(kernel.ctx.now_ns, int(last["ts_init"][0]) if last is not None else 0)
        crashed = self.plan.crashed.run_id
        cont = RunManifest(config=self.manifest.config, seed=self.manifest.seed,
                           parent_run_id=crashed)
        start = cont.to_records(self.plan.manifest_id)[:1]
        start["ts_event"] = start["ts_init"] = ts
        start["flags"] = INPUT
        marker = encode(Kind.RUN_RECOVERED, ts_event=ts, ts_init=ts, flags=INPUT,
                        crashed_run_id=crashed, last_seq=self.plan.last_seq,
                        snapshot_seq=self.plan.snapshot_seq, state_hash=self.recovered_hash)
        batch = np.concatenate([marker, _take_failover(ts, crashed), start])
        first, _ = kernel.publish(batch)
        self.run_id, self.run_first_seq = cont.run_id, first + len(batch) - 1


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
        kernel = self.kernel
        seq = kernel.last_seq
        kernel.sync_journal()
        self.writer.commit()
        kdoc, arrays = kernel.snapshot()
        doc = {"format": SNAPSHOT_FORMAT, "kernel": kdoc, "node": {
            **self.extra, "inputs": self.inputs_offset + n_inputs,
            "lineage_first_seq": self.lineage_first_seq,
            "state_hash_all": f"{kernel.state_hash('all'):016x}"}}
        self.writer.write_snapshot(seq, doc, arrays)
        self.last_seq, self.last_ts = seq, kernel.ctx.now_ns
        self.taken.append(seq)
        return seq


def restore_node(kernel: Kernel, plan: RecoveryPlan, reader: JournalReader) -> int:
    """Restores a kernel (built with ``first_seq = snapshot seq + 1`` and the run's components)
    from the plan's snapshot and checks it; returns the number of data inputs to skip."""
    assert plan.snapshot is not None
    seq, doc, arrays = plan.snapshot
    kernel.restore(doc["kernel"], arrays)
    want = doc["node"]["state_hash_all"]
    got = f"{kernel.state_hash('all'):016x}"
    if got != want:
        raise RecoveryError(f"{reader.journal.path}: snapshot at seq {seq} restores to state hash "
                            f"{got}, it was taken at {want}")
    return int(doc["node"]["inputs"])


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
        plan = plan_recovery(writer.journal, manifest) if writer.next_seq > 1 else None
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
