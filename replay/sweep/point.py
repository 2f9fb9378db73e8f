"""One point of a sweep, run on a worker: its backtest, its row, its sidecar.

Design contract:
- the task carries the point's config and paths only; the data comes from the worker's cache
  (:mod:`replay.sweep.data_cache`);
- a point's journal is ``OUT/journals/<run id>`` and its row is saved in
  ``OUT/points/<run id>.json`` (written to a temporary name, then renamed) once the run ended;
- a point whose journal ended with a saved row of the same config is skipped (its row is
  reused); a journal whose run crashed (the worker was killed) is recovered by running the
  backtest again on it; a journal that ended but has no saved row is re-run into a scratch
  journal to rebuild the row, whose state hash must equal the journal's;
- an exception of the run (a strategy that raises, bad rows later in a file) makes a FAULTED
  row with the error, never an exception of the task: the sweep goes on.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import attrs

from domain.enums import RunEndReason
from replay.backtest import BacktestNode, BacktestRun
from replay.config import BacktestConfig
from replay.sweep.data_cache import open_cached
from replay.sweep.resume import JournalState, point_journal
from replay.sweep.table import COLUMNS


@attrs.frozen
class PointTask:
    """What a worker needs to run one point (small: sent through the scheduler)."""

    index: int
    params: dict[str, Any]
    config: BacktestConfig  # without ``journal``: the task sets it
    out: str  # the sweep's out directory, absolute

    @property
    def node(self) -> BacktestNode:
        return BacktestNode(self.config, open_data=open_cached)

    @property
    def name(self) -> str:
        return f"{self.node.run_id:016x}"

    @property
    def journal(self) -> Path:
        return Path(self.out) / "journals" / self.name

    @property
    def sidecar(self) -> Path:
        return Path(self.out) / "points" / f"{self.name}.json"


@attrs.frozen
class PointOutcome:
    """A point's row and how it was obtained: ``ran``, ``recovered`` or ``skipped``."""

    row: dict[str, Any]
    how: str


def run_point(task: PointTask) -> PointOutcome:
    """Runs (or resumes, or skips) one point; see the module contract."""
    node = task.node
    manifest = node.manifest
    state = point_journal(task.journal, manifest)
    saved = _read_sidecar(task.sidecar, manifest.config_hash)
    if saved is not None and _matches(saved, state):
        return PointOutcome(saved, "skipped")
    if state.state == JournalState.OTHER:
        return PointOutcome(_faulted(task, f"journal {task.journal}: {state.why}"), "ran")
    if state.state == JournalState.ENDED:
        row = _rerun_for_row(task, state.state_hash)
        how = "skipped"
    else:
        how = "recovered" if state.state == JournalState.CRASHED else "ran"
        row = _run(task, task.journal)
    _write_sidecar(task.sidecar, manifest.config_hash, row)
    return PointOutcome(row, how)


def _run(task: PointTask, journal: Path) -> dict[str, Any]:
    node = BacktestNode(attrs.evolve(task.config, journal=str(journal)), open_data=open_cached)
    try:
        result = node.run()
    except Exception as exc:  # the point is FAULTED; the sweep goes on
        return _faulted(task, f"{type(exc).__name__}: {exc}", journal)
    if result.end_reason != "CLEAN":  # a strategy's exception ends the run FAULTED (journaled)
        return _faulted(task, result.fault or f"the run ended {result.end_reason}", journal)
    return _row(task, result)


def _rerun_for_row(task: PointTask, state_hash: int) -> dict[str, Any]:
    scratch = Path(task.out) / "scratch" / f"{task.name}-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        row = _run(task, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    row["journal"] = _rel(task, task.journal)
    if row["status"] == "CLEAN" and row["state_hash"] != f"{state_hash:016x}":
        return _faulted(task, f"journal {task.journal} ended with state hash {state_hash:016x} "
                        f"but a re-run of its config gives {row['state_hash']}")
    return row


def _rel(task: PointTask, journal: Path) -> str:
    return str(journal.relative_to(task.out)) if journal.is_relative_to(task.out) else str(journal)


def _row(task: PointTask, run: BacktestRun) -> dict[str, Any]:
    s = run.result.summary
    doc = run.to_json_dict()
    values = {
        "status": "CLEAN", "run_id": doc["run_id"], "state_hash": doc["state_hash"],
        "total_pnl": s["total_pnl"], "realized_pnl": s["realized_pnl"],
        "commissions": s["commissions"], "currency": s["currency"],
        **{k: s[k] for k in ("sharpe", "sortino", "max_drawdown_pct", "return_pct", "win_rate",
                             "profit_factor", "expectancy", "n_orders", "n_fills",
                             "n_positions", "n_denied", "n_rejected")},
        "n_records": run.n_records, "last_seq": run.last_seq,
        "journal": _rel(task, Path(run.journal)), "error": "",
    }
    return {"point": task.index, **task.params, **{c: values[c] for c in COLUMNS}}


def _faulted(task: PointTask, error: str, journal: Path | None = None) -> dict[str, Any]:
    journal = journal or task.journal
    end = point_journal(journal, task.node.manifest)
    values: dict[str, Any] = dict.fromkeys(COLUMNS)
    values.update(status="FAULTED", run_id=task.name, error=error,
                  state_hash=f"{end.state_hash:016x}" if end.reason is not None else None,
                  journal=_rel(task, task.journal) if end.state != JournalState.ABSENT else "")
    return {"point": task.index, **task.params, **values}


def _matches(row: dict[str, Any], state: Any) -> bool:
    if row.get("status") == "FAULTED":  # faulted before its journal (no journal), or in it
        return state.state in (JournalState.ENDED, JournalState.CRASHED) or (
            state.state == JournalState.ABSENT and not row.get("journal"))
    return state.state == JournalState.ENDED and state.reason == RunEndReason.CLEAN \
        and row.get("state_hash") == f"{state.state_hash:016x}"


def _read_sidecar(path: Path, config_hash: int) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("config_hash") != f"{config_hash:016x}":
        return None
    row = doc.get("row")
    return row if isinstance(row, dict) else None


def _write_sidecar(path: Path, config_hash: int, row: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"config_hash": f"{config_hash:016x}", "row": row},
                              allow_nan=False))  # keys in row order: the CSV header
    os.replace(tmp, path)
