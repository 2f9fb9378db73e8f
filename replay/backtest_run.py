"""What a backtest produced, and the results of a completed run rebuilt from its journal.

Design contract:
- :class:`BacktestRun` is the outcome of :meth:`replay.backtest.BacktestNode.run`: the journal,
  its seqs, the state hash, the results, how the run ended (``end_reason`` CLEAN, INTERRUPTED
  or FAULTED with the fault's text) and the recovery notes (snapshots skipped);
- :func:`completed_run` rebuilds the results of a journal whose last run completed (the state
  components folded from the lineage's start; the starting equity read at its NODE_STARTED):
  the same command run again finishes a report that a kill after RUN_ENDED left unwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from domain.codec import as_kind
from domain.kinds import Kind
from engines.kernel import Kernel
from journal.reader import JournalReader
from journal.runs import scan_runs
from journal.store import Journal
from replay.backtest_setup import account_name
from replay.config import VenueConfig
from replay.errors import ReplayError
from replay.loop import LoopStats
from replay.results import BacktestResult, build_results, money


@attrs.frozen
class BacktestRun:
    """What a backtest produced."""

    journal: str
    run_id: int
    first_seq: int
    last_seq: int
    n_records: int
    n_inputs: int
    state_hash: int
    wall_s: float
    result: BacktestResult
    instruments: tuple[str, ...]
    inferred_instruments: tuple[str, ...]
    loop: LoopStats
    #: The venue whose account the equity curve follows (the first venue, by name).
    venue: VenueConfig
    #: How the run ended: CLEAN, INTERRUPTED (resumes) or FAULTED (``fault`` says why).
    end_reason: str = "CLEAN"
    fault: str = ""
    #: Recovery notes: snapshots skipped (damaged, another format) and what was used instead.
    notes: tuple[str, ...] = ()

    @property
    def records_per_s(self) -> float:
        return self.n_records / self.wall_s if self.wall_s > 0 else 0.0

    def to_json_dict(self) -> dict[str, Any]:
        """Returns the ``--json`` object of ``ringbus backtest``."""
        s = self.result.summary
        out = {
            "journal": self.journal, "run_id": f"{self.run_id:016x}", "last_seq": self.last_seq,
            "n_records": self.n_records, "n_orders": s["n_orders"], "n_fills": s["n_fills"],
            "n_positions": s["n_positions"], "realized_pnl": s["realized_pnl"],
            "open_commissions": s["open_commissions"], "commissions": s["commissions"],
            "final_balances": s["final_balances"], "currency": s["currency"],
            "total_pnl": s["total_pnl"], "return_pct": s["return_pct"], "sharpe": s["sharpe"],
            "sortino": s["sortino"], "max_drawdown_pct": s["max_drawdown_pct"],
            "n_denied": s["n_denied"], "denied_reasons": s["denied_reasons"],
            "n_rejected": s["n_rejected"], "rejected_reasons": s["rejected_reasons"],
            "state_hash": f"{self.state_hash:016x}", "wall_s": round(self.wall_s, 6),
            "records_per_s": round(self.records_per_s), "end_reason": self.end_reason,
        }
        if self.fault:
            out["fault"] = self.fault
        if "tables_left_out" in s:
            out["tables_left_out"] = s["tables_left_out"]
        return out


#: the note of a run whose journal already held it, completed: its results are rebuilt from it
REBUILT_NOTE = "the journal holds this completed run: results rebuilt from it"

def final_balances(cache: Any, kernel: Kernel, venues: list[VenueConfig]) -> dict[str, Any]:
    """Returns the summary's ``final_balances``: account -> currency -> total."""
    balances: dict[str, dict[str, str]] = {}
    for venue in venues:
        aid = kernel.strings.id_of(account_name(venue))
        account = cache.account(aid) if aid is not None else None
        if account is None:
            continue
        balances[account_name(venue)] = {
            f"{c.code}": money(account.total_raw(c), c.packed) for c in account.currencies()}
    return {"final_balances": balances}


def completed_run(path: str | Path, run_id: int, venues: list[VenueConfig],
                  instruments: tuple[str, ...], wall_s: float,
                  extra: Callable[[Any, Kernel], dict[str, Any]], days_per_year: int
                  ) -> BacktestRun:
    """Returns the results of the completed last run of the journal at ``path``; ``extra``
    gives the summary's node-level entries from (cache, kernel)."""
    from replay.rebuild import apply_records, rebuild  # only for a run that already completed

    with Journal.open(path) as journal:
        reader = JournalReader(journal)
        last = scan_runs(journal)[-1]
        first = _lineage_first(journal, last.last_seq)
        started = _node_started(reader, first)
        state = rebuild(journal, started, use_snapshots=False)
        sampler, recorder, cache = state.kernel.components[:3]
        t0 = int(reader.record(first)["ts_init"][0])
        start_equity = (t0, sampler.equity_now())  # type: ignore[attr-defined]
        apply_records(state.kernel, reader, started + 1, last.last_seq)
        end = as_kind(reader.record(last.last_seq), Kind.RUN_ENDED)[0]
    kernel = state.kernel
    ts, eq = sampler.curve(int(end["ts_init"]), start_equity)  # type: ignore[attr-defined]
    ccy = sampler.currency  # type: ignore[attr-defined]
    result = build_results(cache, kernel.strings, recorder, ts, eq,
                           ccy.code if ccy is not None else None, extra(cache, kernel),
                           days_per_year)
    return BacktestRun(
        journal=str(path), run_id=run_id, first_seq=first, last_seq=last.last_seq,
        n_records=last.last_seq - first + 1, n_inputs=0, state_hash=int(end["state_hash"]),
        wall_s=wall_s, result=result, instruments=instruments, inferred_instruments=(),
        loop=LoopStats(), venue=venues[0], notes=(REBUILT_NOTE,))


def _lineage_first(journal: Journal, seq: int) -> int:
    from replay.rebuild import lineage

    return lineage(journal, seq).first_seq


def _node_started(reader: JournalReader, first_seq: int) -> int:
    """Returns the seq of the NODE_STARTED of the run starting at ``first_seq``."""
    from replay.rebuild import SETUP_SCAN

    for batch in reader.batches(first_seq, first_seq + SETUP_SCAN - 1):
        hits = np.flatnonzero(batch["kind"] == Kind.NODE_STARTED)
        if len(hits):
            return int(batch["seq"][hits[0]])
    raise ReplayError(f"{reader.journal.path}: the run at seq {first_seq} has no NODE_STARTED "
                      f"in its first {SETUP_SCAN} records")
