"""Rebuild: the exact state at any seq, by applying a journal's records to the state consumers.

Design contract:
- the state components are those of the run that wrote the journal, registered in the same
  order (:func:`replay.backtest_setup.register_state`, configured from the run's manifest), so
  interned component ids and the state hash match the run's;
- a kernel in ``rebuild`` mode runs the ``state`` stage only: no reactor, no strategy, no
  execution client; every state change a reactor caused is itself a record in the journal;
- the fold starts at the newest readable node snapshot at or below the target (only its
  ``state`` components are restored: every reducer keeps its state in snapshots, nothing is
  refilled from the run's start) or at the first record of the run lineage (a run and the runs
  that continue it after crash recovery); a damaged snapshot is skipped for the next older one
  (or a full replay) and the skip is reported in ``Rebuilt.notes``;
- a corrupt batch stops the rebuild before it (``CorruptionError`` with the seq range); a
  target beyond the end raises :class:`ReplayError`; reading a journal never executes code from it.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from domain.codec import as_kind
from domain.kinds import Kind
from domain.strings import StringTable
from engines.cache import Cache
from engines.kernel import Kernel
from engines.kernel_snapshot import restore_kernel
from journal.errors import SnapshotError
from journal.reader import JournalReader
from journal.runs import RunEndState, RunInfo, RunManifest, scan_runs
from journal.snapshots import read_snapshot, snapshot_seqs
from journal.store import Journal
from replay.backtest_setup import register_state, resolve_venues
from replay.config import BacktestConfig, VenueConfig, config_from_dict
from replay.errors import ReplayError

#: Setup records (symbols, instruments) are read from this many records at a run's start.
SETUP_SCAN = 65536
#: The format of a node snapshot (a whole kernel + the node's resume point); /2: every
#: reducer (the run recorder too) is in it.
NODE_SNAPSHOT_FORMAT = "ringbus.node/2"


@attrs.frozen
class Lineage:
    """The run holding a seq and the run its state starts with (itself, unless it continues a
    crashed run after recovery)."""

    root: RunInfo | None
    run: RunInfo | None

    @property
    def first_seq(self) -> int:
        return self.root.first_seq if self.root is not None else 1

    @property
    def manifest(self) -> RunManifest | None:
        return self.root.manifest if self.root is not None else None


def lineage(journal: Journal, seq: int) -> Lineage:
    """Returns the :class:`Lineage` of ``seq`` (no runs: a bare log starting at seq 1)."""
    runs = scan_runs(journal)
    index = next((i for i, r in enumerate(runs) if r.first_seq <= seq <= r.last_seq), None)
    if index is None:
        return Lineage(None, None)
    root = index
    while root > 0 and runs[root].parent_run_id == runs[root - 1].run_id \
            and runs[root - 1].end_state == RunEndState.RECOVERED:
        root -= 1
    return Lineage(runs[root], runs[index])


def manifest_config(manifest: RunManifest) -> BacktestConfig:
    """Returns the backtest config a manifest records (without code-only entries)."""
    doc = {k: v for k, v in manifest.config.items() if not k.startswith("python_")}
    return config_from_dict(doc, where=f"manifest of run {manifest.run_id:016x}")


def setup_symbols(reader: JournalReader, first_seq: int, to_seq: int | None = None
                  ) -> dict[int, str]:
    """Returns instrument id -> symbol of the INSTRUMENT records at the start of a run (its
    first ``SETUP_SCAN`` records, and none after ``to_seq``)."""
    table = StringTable()
    out: dict[int, str] = {}
    top = first_seq + SETUP_SCAN - 1 if to_seq is None else min(to_seq, first_seq + SETUP_SCAN - 1)
    for batch in reader.batches(first_seq, top):
        kinds = batch["kind"]
        for i in np.flatnonzero((kinds == Kind.STRING) | (kinds == Kind.INSTRUMENT)).tolist():
            rec = batch[i : i + 1]
            if int(kinds[i]) == Kind.STRING:
                table.apply(rec)
            else:
                iid = int(as_kind(rec, Kind.INSTRUMENT)[0]["instrument_id"])
                out[iid] = table.get(iid, "")
    return out


def run_venues(reader: JournalReader, info: Lineage, config: BacktestConfig,
               to_seq: int | None = None) -> list[VenueConfig]:
    """Returns the venues of the run, resolved as the node did (from its instruments)."""
    names = [s.rpartition(".")[2] for s in setup_symbols(reader, info.first_seq, to_seq).values()]
    return resolve_venues(config.venues, names or [config.venues[0].name])


def state_kernel(reader: JournalReader, info: Lineage, first_seq: int,
                 capacity: int = 1 << 16, to_seq: int | None = None) -> Kernel:
    """Returns a rebuild kernel with the run's state components, positioned before ``first_seq``
    (``to_seq``: the setup records are not read past it)."""
    kernel = Kernel(capacity=capacity, mode="rebuild", first_seq=first_seq)
    if info.manifest is None:
        kernel.register(Cache())
    else:
        config = manifest_config(info.manifest)
        venues = run_venues(reader, info, config, to_seq)
        register_state(kernel, venues[0], config.equity_interval_ns, config.run)
    return kernel


def restore_state(kernel: Kernel, doc: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Restores the kernel's (state) components from a node snapshot of a full kernel."""
    kdoc = doc.get("kernel", doc)
    ids = [c.component_id for c in kernel.components]
    comps = [c for c in kdoc["components"] if c["id"] in ids]
    prefixes = tuple(f"{i}/" for i in ids)
    sub = {k: v for k, v in arrays.items() if k.startswith(prefixes)}
    restore_kernel(kernel, {**kdoc, "components": comps}, sub)


Snapshot = tuple[int, dict[str, Any], dict[str, np.ndarray]]


def usable_snapshot(journal: Journal, at_or_below: int, first_seq: int, fmt: str
                    ) -> tuple[Snapshot | None, list[str]]:
    """Returns the newest snapshot in ``first_seq..at_or_below`` that decodes and has the node
    format ``fmt`` (None: replay from the start), and one note per newer snapshot skipped
    (damaged, or of another format) saying what the fold starts from instead."""
    notes: list[str] = []
    seqs = [s for s in snapshot_seqs(journal) if first_seq <= s <= at_or_below]
    for seq in reversed(seqs):
        try:
            found = read_snapshot(journal, seq)
        except SnapshotError as exc:
            notes.append(f"snapshot at seq {seq} is damaged ({exc})")
            continue
        assert found is not None
        if found[1].get("format") != fmt:
            notes.append(f"snapshot at seq {seq} has format {found[1].get('format')!r}, this "
                         f"build reads {fmt!r}")
            continue
        if notes:
            notes.append(f"using the older snapshot at seq {seq}")
        return found, notes
    if notes:
        notes.append(f"replaying from the run's first record (seq {first_seq})")
    return None, notes


@attrs.define
class Rebuilt:
    """A rebuild kernel holding the state after record ``seq``."""

    kernel: Kernel
    seq: int
    ts_init: int
    snapshot_seq: int
    lineage: Lineage
    #: snapshots skipped (damaged, another format) and what the fold started from instead
    notes: tuple[str, ...] = ()


def rebuild(journal: Journal, to_seq: int | None = None, use_snapshots: bool = True,
            capacity: int = 1 << 16) -> Rebuilt:
    """Returns the state after record ``to_seq`` (default: the last record)."""
    reader = JournalReader(journal)
    last = reader.last_seq()
    if last == 0:
        raise ReplayError(f"{journal.path}: the journal holds no records")
    target = last if to_seq is None else to_seq
    if not 1 <= target <= last:
        raise ReplayError(f"seq {target} is not in the journal {journal.path} "
                          f"(it holds seq 1..{last})")
    info = lineage(journal, target)
    start = info.first_seq
    snap, notes = usable_snapshot(journal, target, start, NODE_SNAPSHOT_FORMAT) \
        if use_snapshots else (None, [])
    snap_seq = 0
    if snap is not None:
        snap_seq, doc, arrays = snap
        kernel = state_kernel(reader, info, snap_seq + 1, capacity, target)
        restore_state(kernel, doc, arrays)
    else:
        kernel = state_kernel(reader, info, start, capacity, target)
        kernel.publish_setup()  # rebuild mode: drops registration's records (in the log already)
    apply_records(kernel, reader, kernel.last_seq + 1, target)
    rec = reader.record(target)
    ts = int(rec["ts_init"][0]) if rec is not None else 0
    return Rebuilt(kernel, target, ts, snap_seq, info, tuple(notes))


def apply_records(kernel: Kernel, reader: JournalReader, first_seq: int, last_seq: int) -> int:
    """Publishes records ``first_seq..last_seq`` of the journal into ``kernel`` in pieces of at
    most half the ring (a stored batch may be larger than the ring); returns how many."""
    n = 0
    if last_seq < first_seq:
        return 0
    step = max(1, kernel.ring.capacity // 2)
    for batch in reader.batches(first_seq, last_seq):
        for lo in range(0, len(batch), step):
            kernel.publish(batch[lo : lo + step])
        n += len(batch)
    return n
