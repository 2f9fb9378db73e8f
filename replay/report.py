"""The report of a backtest: a readable table, and a report directory written atomically.

Design contract:
- :func:`write_report` writes ``summary.json``, ``orders.csv``, ``fills.csv``,
  ``positions.csv``, ``equity.csv`` and, when matplotlib is installed (extra ``plot``),
  ``equity.png`` into a temporary sibling directory, then renames it into place: a report
  directory either holds a whole report or does not exist; an existing one is never replaced;
- matplotlib is imported only when plotting, with the non-interactive Agg backend;
- :func:`format_report` returns the plain-text table printed by ``ringbus backtest`` and
  ``ringbus demo``.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from engines.analysis import MIN_DAYS
from replay.backtest import BacktestRun


class ReportExistsError(FileExistsError):
    """The report directory already exists (a report is never overwritten)."""


def check_report_dir(path: str | Path) -> Path:
    """Returns ``path`` when a report can be written there; raises ReportExistsError if not."""
    path = Path(path)
    if path.exists():
        raise ReportExistsError(f"{path}: report directory already exists; choose another --report")
    return path


def _write_csv(path: Path, rows: list[dict[str, Any]], header: list[str]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header if not rows else list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def plot_equity(ts_ns: np.ndarray, equity: np.ndarray, currency: str, path: Path) -> bool:
    """Plots the equity curve to ``path``; returns False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.plot(ts_ns.astype("datetime64[ns]"), equity)
    ax.set_title("Equity (marked to market)")
    ax.set_ylabel(currency)
    ax.grid(True, alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def write_report(run: BacktestRun, report_dir: str | Path) -> tuple[Path, bool]:
    """Writes the report directory atomically; returns (its path, whether a PNG was made)."""
    final = check_report_dir(report_dir)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        res = run.result
        summary = {**run.to_json_dict(), **res.summary,
                   "instruments": list(run.instruments)}
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
        _write_csv(tmp / "orders.csv", res.orders, ["client_order_id"])
        _write_csv(tmp / "fills.csv", res.fills, ["seq"])
        _write_csv(tmp / "positions.csv", res.positions, ["position_id"])
        ccy = res.summary["currency"]  # None: several currencies, no base: no curve
        png = False
        if ccy is not None:
            scale = 10.0 ** _precision(ccy)
            _write_csv(tmp / "equity.csv", [
                {"ts_ns": int(t), f"equity_{ccy}": f"{e / scale:.{_precision(ccy)}f}"}
                for t, e in zip(res.equity_ts_ns.tolist(), res.equity.tolist(), strict=True)
            ], ["ts_ns"])
            png = plot_equity(res.equity_ts_ns, res.equity / scale, ccy, tmp / "equity.png")
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final, png


def _precision(code: str) -> int:
    from domain.currencies import Currency

    return Currency.from_code(code).precision


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None:
        return "n/a"
    if pct:
        return f"{value:.2f}%"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, dict):
        return ", ".join(f"{v} {k}" for k, v in value.items()) or "0"
    return str(value)


def _ratio(value: float | None, n_days: int) -> str:
    if value is None and n_days < MIN_DAYS:
        return f"n/a (needs >= {MIN_DAYS} days, run has {n_days})"
    return _fmt(value)


def _refused(n: int, reasons: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f"  {r['count']:>6}x", r["example"] if r["count"] == 1 else
             f"{r['reason']}, e.g. {r['example']}") for r in reasons] if n else []


def _fees(fees: dict[str, dict[str, Any]]) -> str:
    return "; ".join(f"{sym}: maker {f['maker_fee']:g} taker {f['taker_fee']:g} ({f['source']}, "
                     f"{f['rounding'].lower()})" for sym, f in fees.items()) or "n/a"


def format_report(run: BacktestRun) -> str:
    """Returns the run's report as an aligned two-column table."""
    s = run.result.summary
    n_days = s["n_days"]
    rows = [
        ("journal", run.journal),
        ("run id", f"{run.run_id:016x}"),
        ("instruments", ", ".join(run.instruments)),
        ("records", f"{run.n_records:,} (seq {run.first_seq}..{run.last_seq})"),
        ("total PnL", f"{s['total_pnl']} {s['currency']}" if s["currency"] else
         "n/a (several currencies, no base currency: see realized PnL per currency)"),
        *[("converted", f"{c['amount']} {k} -> {c['amount_to']} {c['to']} "
                        f"({c['n_conversions']} conversions at journaled rates)")
          for k, c in s["converted_to_base"].items()],
        ("realized PnL", _fmt(s["realized_pnl"])),
        ("open commissions", _fmt(s["open_commissions"])),
        ("return", _fmt(s["return_pct"], pct=True)),
        ("Sharpe", _ratio(s["sharpe"], n_days)),
        ("Sortino", _ratio(s["sortino"], n_days)),
        ("max drawdown", _fmt(s["max_drawdown_pct"], pct=True)),
        ("win rate", _fmt(None if s["win_rate"] is None else s["win_rate"] * 100, pct=True)),
        ("profit factor", _fmt(s["profit_factor"])),
        ("expectancy", _fmt(s["expectancy"])),
        ("orders", str(s["n_orders"])),
        ("denied", str(s["n_denied"])),
        *_refused(s["n_denied"], s["denied_reasons"]),
        ("rejected", str(s["n_rejected"])),
        *_refused(s["n_rejected"], s["rejected_reasons"]),
        ("fills", str(s["n_fills"])),
        ("positions", f"{s['n_positions']} ({s['n_closed_positions']} closed)"),
        ("commissions", _fmt(s["commissions"])),
        ("fees", _fees(s.get("fees", {}))),
        ("final balances", "; ".join(f"{a}: {_fmt(b)}" for a, b in s["final_balances"].items())),
        ("wall time", f"{run.wall_s:.3f} s"),
        ("records/s", f"{run.records_per_s:,.0f}"),
        ("state hash", f"{run.state_hash:016x}"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
