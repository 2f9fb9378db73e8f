"""Where a point's journal stands, for resuming a sweep and retrying a killed task.

This module is the sweep's only contact with the journal's run bookkeeping and crash recovery:
it reads the run index (:func:`journal.runs.scan_runs`); recovering a crashed run is
:class:`replay.backtest.BacktestNode`'s own startup (:mod:`replay.recovery`), which a point
reaches by running its backtest again on the same journal.
"""

from __future__ import annotations

import enum
from pathlib import Path

import attrs

from domain.codec import as_kind
from domain.enums import RunEndReason
from domain.kinds import Kind
from journal.errors import JournalError
from journal.reader import JournalReader
from journal.runs import RunEndState, RunManifest, scan_runs
from journal.store import Journal


class JournalState(enum.Enum):
    ABSENT = "ABSENT"  # no journal, or one without any run: run the point afresh
    CRASHED = "CRASHED"  # the last run has no end: running the point again recovers it
    ENDED = "ENDED"  # the last run of this config ended (``reason``, ``state_hash``)
    OTHER = "OTHER"  # the journal holds another config's run: not this point's journal


@attrs.frozen
class PointJournal:
    state: JournalState
    reason: RunEndReason | None = None
    state_hash: int = 0
    why: str = ""


def point_journal(path: str | Path, manifest: RunManifest) -> PointJournal:
    """Returns the state of the journal at ``path`` for a run of ``manifest``."""
    path = Path(path)
    if not (path / "data.mdb").is_file():
        return PointJournal(JournalState.ABSENT)
    try:
        with Journal.open(path) as journal:
            runs = scan_runs(journal)
            if not runs:
                return PointJournal(JournalState.ABSENT)
            root = runs[0].manifest
            if root is None or (root.config_hash, root.seed) != (manifest.config_hash,
                                                                 manifest.seed):
                return PointJournal(JournalState.OTHER, why=f"{path}: its first run is not "
                                    f"this point's (config hash {manifest.config_hash:016x})")
            last = runs[-1]
            if last.end_state != RunEndState.CLEAN:
                return PointJournal(JournalState.CRASHED)
            end = as_kind(JournalReader(journal).record(last.last_seq), Kind.RUN_ENDED)[0]
            return PointJournal(JournalState.ENDED, RunEndReason(int(end["reason"])),
                                int(end["state_hash"]))
    except JournalError as exc:
        return PointJournal(JournalState.OTHER, why=str(exc))
