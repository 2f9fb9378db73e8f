"""The replay check of a backtest: verify its journal, rebuild the state, compare state hashes.

Design contract:
- the journal is verified first (:func:`journal.verify.verify_journal`); the rebuild runs a
  kernel in ``rebuild`` mode (reducers only, no reactor, no strategy: every state change a
  reactor caused is itself a record) with the same ``state`` components as the run
  (:func:`replay.backtest_setup.register_state`) over every record of the run, and compares its
  state hash with the one the run wrote into RUN_ENDED;
- it reads the journal, never executes code from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from domain.codec import as_kind
from domain.kinds import Kind
from engines.kernel import Kernel
from journal.reader import JournalReader
from journal.runs import scan_runs
from journal.store import Journal
from journal.verify import verify_journal
from replay.backtest_setup import register_state
from replay.config import VenueConfig


@attrs.frozen
class ReplayCheck:
    """The outcome of :func:`replay_check`."""

    verify_status: str
    run_state_hash: int
    rebuilt_state_hash: int
    n_records: int

    @property
    def ok(self) -> bool:
        return self.verify_status == "CLEAN" and self.run_state_hash == self.rebuilt_state_hash

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "verify_status": self.verify_status, "n_records": self.n_records,
                "run_state_hash": f"{self.run_state_hash:016x}",
                "rebuilt_state_hash": f"{self.rebuilt_state_hash:016x}"}


def replay_check(journal_path: str | Path, run_id: int, venue: VenueConfig,
                 equity_interval_ns: int) -> ReplayCheck:
    """Verifies the journal and rebuilds the state of run ``run_id``; ``venue`` and
    ``equity_interval_ns`` are those of the run's state components (``BacktestRun.venue``)."""
    status = verify_journal(journal_path).status.value
    with Journal.open(journal_path) as journal:
        runs = [r for r in scan_runs(journal, with_manifests=False) if r.run_id == run_id]
        if not runs:
            raise ValueError(f"{journal_path}: no run {run_id:016x} in this journal")
        info = runs[-1]
        reader = JournalReader(journal)
        kernel = Kernel(mode="rebuild", first_seq=info.first_seq)
        register_state(kernel, venue, equity_interval_ns)
        # The journal holds the registration's STRING records; in rebuild mode publish_setup
        # drops the pending copies (else the first drain would publish them).
        kernel.publish_setup()
        run_hash, n = 0, 0
        for batch in reader.batches(info.first_seq, info.last_seq):
            kernel.publish(batch.copy())
            n += len(batch)
            ends = batch[batch["kind"] == Kind.RUN_ENDED]
            if len(ends):
                run_hash = int(as_kind(ends[-1:], Kind.RUN_ENDED)[0]["state_hash"])
        return ReplayCheck(status, run_hash, kernel.state_hash(), n)
