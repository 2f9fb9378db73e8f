"""The results table of a sweep: one row per point, in grid order; CSV, JSON and the best rows.

Design contract:
- a row holds the point's index and grid values, then :data:`COLUMNS`: the ``ringbus backtest
  --json`` figures without wall-clock ones (a table is the same however many workers made it),
  the headline statistics, the status (CLEAN or FAULTED), the journal path relative to the
  sweep's out directory, and the error of a FAULTED point;
- numbers a run does not define (the Sharpe ratio of a flat curve, every figure of a FAULTED
  point) are None in JSON and empty in CSV; money is an exact decimal string (several
  currencies: ``"12.5 USD; -3 EUR"`` in CSV);
- ranking by a metric: higher is better except for :data:`LOWER_IS_BETTER`; None ranks last,
  ties keep grid order.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

COLUMNS = (
    "status", "run_id", "state_hash", "total_pnl", "realized_pnl", "commissions", "currency",
    "sharpe", "sortino", "max_drawdown_pct", "return_pct", "win_rate", "profit_factor",
    "expectancy", "n_orders", "n_fills", "n_positions", "n_denied", "n_rejected", "n_records",
    "last_seq", "journal", "error",
)
#: the columns a sweep can rank its points by
METRICS = ("sharpe", "sortino", "total_pnl", "return_pct", "max_drawdown_pct", "win_rate",
           "profit_factor", "expectancy", "n_orders", "n_fills", "n_positions")
#: metrics for which a smaller value is the better point
LOWER_IS_BETTER = frozenset({"max_drawdown_pct"})


def metric_value(row: dict[str, Any], metric: str) -> float | None:
    """Returns the row's ``metric`` as a float (decimal strings parsed), None if undefined."""
    if metric not in row:
        raise KeyError(f"metric {metric!r} is not a column of the table "
                       f"(columns: {sorted(row)})")
    value = row[metric]
    if value is None or value == "" or isinstance(value, dict | bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def best_rows(rows: Sequence[dict[str, Any]], metric: str, n: int = 5) -> list[dict[str, Any]]:
    """Returns the ``n`` best rows by ``metric`` (see the module contract)."""
    sign = 1.0 if metric in LOWER_IS_BETTER else -1.0

    def key(item: tuple[int, dict[str, Any]]) -> tuple[int, float, int]:
        value = metric_value(item[1], metric)
        return (1, 0.0, item[0]) if value is None else (0, sign * value, item[0])

    return [row for _, row in sorted(enumerate(rows), key=key)[:n]]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{v} {k}" for k, v in value.items())
    return str(value)


def write_csv(rows: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """Writes the rows as CSV (header = the first row's keys); returns the path."""
    path = Path(path)
    with path.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        if rows:
            writer.writerow(list(rows[0]))
        for row in rows:
            writer.writerow([_cell(v) for v in row.values()])
    return path


def write_json(doc: dict[str, Any], path: str | Path) -> Path:
    """Writes ``doc`` as indented, key-sorted strict JSON; returns the path."""
    path = Path(path)
    path.write_text(json.dumps(doc, indent=1, sort_keys=True, allow_nan=False) + "\n")
    return path


def format_rows(rows: Sequence[dict[str, Any]], params: Sequence[str], metric: str) -> str:
    """Returns a small aligned text table of ``rows``: params, metric, PnL, fills, status."""
    shown = [*params, metric, *(c for c in ("total_pnl", "max_drawdown_pct", "n_fills", "status",
                                            "journal") if c != metric)]
    cells = [[_short(row.get(c)) for c in shown] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c)
              for i, c in enumerate(shown)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(shown, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return _cell(value)
