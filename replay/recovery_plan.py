"""What a node started on a crashed journal recovers, and the journal it re-executes against.

The contract is :mod:`replay.recovery`'s (crash recovery is startup); this module holds the
part a node needs only when its journal already has records: :func:`plan_recovery`,
:class:`RecoveringJournal`, :func:`restore_node` and a standby's :func:`arm_failover`.
:class:`replay.recovery.NodeStart` imports it then, so a fresh run never loads it, nor
:mod:`replay.rebuild` and :mod:`replay.verifying` under it.
"""

from __future__ import annotations

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
from replay.errors import CompletedRunError, RecoveryError
from replay.rebuild import NODE_SNAPSHOT_FORMAT, Snapshot, usable_snapshot
from replay.verifying import VerifyingJournal

INPUT = int(RecordFlag.INPUT)
SNAPSHOT_FORMAT = NODE_SNAPSHOT_FORMAT


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
