"""What a backtest report says: refused orders with their reasons, PnL that reconciles when
flat, and daily-return ratios only for runs of two days or more."""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from domain.enums import OrderSide
from domain.instruments import Instrument
from engines.strategy import Strategy
from replay.backtest import BacktestNode
from replay.backtest_data import DataSource
from replay.config import BacktestConfig, RunConfig
from replay.report import format_report, write_report
from tests.unit.test_backtest_helpers import quotes, random_walk, run_quotes

HOUR_NS = 3600 * 10**9


class RoundTrips(Strategy):
    """Buys on every ``every``-th quote and sells it back ``hold`` quotes later; flat at the end
    when the data ends after a sell."""

    def __init__(self, every: int = 40, hold: int = 15) -> None:
        super().__init__("round_trips")
        self.every, self.hold, self.n = every, hold, 0

    def on_start(self) -> None:
        self.subscribe_quotes("EUR/USD.SIM")

    def on_quote(self, quote) -> None:
        self.n += 1
        if self.n % self.every == 1:
            self.submit_order(self.order_factory.market("EUR/USD.SIM", OrderSide.BUY, 100_000))
        elif self.n % self.every == 1 + self.hold:
            self.submit_order(self.order_factory.market("EUR/USD.SIM", OrderSide.SELL, 100_000))


def round_trips(tmp_path: Path, n: int, step_ns: int, **config) -> object:
    records = quotes(random_walk(n, seed=5), spread_raw=3, step_ns=step_ns)
    source = DataSource.from_records(Instrument.fx_pair("EUR/USD.SIM"), [records])
    cfg = BacktestConfig(journal=str(tmp_path / "journal"), **config)
    return BacktestNode(cfg, strategies=[RoundTrips()], data=[source]).run()


def test_denied_orders_are_counted_with_their_reasons_in_report_json_and_orders_csv(
        tmp_path: Path) -> None:
    run = run_quotes(tmp_path, quotes(random_walk(600, seed=3)), "ema_cross",
                     risk={"max_order_qty": {"EUR/USD.SIM": "1000"}})
    s = run.result.summary
    assert s["n_fills"] == 0 and s["n_orders"] > 5
    assert s["n_denied"] == s["n_orders"] and s["n_rejected"] == 0
    reason = "max order quantity: quantity 100000 exceeds 1000 for EUR/USD.SIM"
    assert s["denied_reasons"] == [
        {"reason": "max order quantity", "count": s["n_orders"], "example": reason}]
    assert run.to_json_dict()["n_denied"] == s["n_orders"]
    assert re.search(rf"{s['n_orders']}x +max order quantity, e.g. {re.escape(reason)}",
                     format_report(run))
    report, _ = write_report(run, tmp_path / "report")
    with open(report / "orders.csv") as f:
        rows = list(csv.DictReader(f))
    assert {"status", "reason", "trigger_price", "tags"} <= set(rows[0])
    assert {(r["status"], r["reason"]) for r in rows} == {("DENIED", reason)}


def test_a_run_that_forgets_closed_orders_reports_the_same_refusals_and_says_the_table_is_cut(
        tmp_path: Path) -> None:
    records = quotes(random_walk(600, seed=3))
    risk = {"max_order_qty": {"EUR/USD.SIM": "1000"}}
    whole = run_quotes(tmp_path / "whole", records, "ema_cross", risk=risk)
    cut = run_quotes(tmp_path / "cut", records, "ema_cross", risk=risk,
                     run=RunConfig(order_history=2))
    s = dict(cut.result.summary)
    n = s["n_orders"]
    assert s.pop("tables_left_out") == {"orders": f"2 of {n}"} and s == whole.result.summary
    assert len(cut.result.orders) == 2 and cut.result.orders == whole.result.orders[-2:]
    assert re.search(r"orders table +2 of \d+ rows \(the run's memory bound: \[run\] "
                     r"order_history\)", format_report(cut))
    assert "orders table" not in format_report(whole)


def test_when_flat_total_pnl_equals_realized_pnl_net_of_every_commission(tmp_path: Path) -> None:
    run = round_trips(tmp_path, 40 * 12 + 16, step_ns=10**9, equity_interval_ns=60 * 10**9)
    s = run.result.summary
    assert s["n_positions"] == s["n_closed_positions"] == 13 and s["open_commissions"] == {}
    assert Decimal(s["total_pnl"]) == Decimal(s["realized_pnl"]["USD"])
    eq = run.result.equity
    assert int(eq[-1]) - int(eq[0]) == int(Decimal(s["total_pnl"]) * 100)


def test_a_run_under_two_days_reports_no_sharpe_and_a_longer_one_annualises_daily(
        tmp_path: Path) -> None:
    short = round_trips(tmp_path / "short", 400, step_ns=10**10)  # 22:13 to 23:20 UTC
    assert short.result.summary["sharpe"] is None and short.result.summary["n_days"] == 1
    assert "n/a (needs >= 2 days, run has 1)" in format_report(short)
    long = round_trips(tmp_path / "long", 400, step_ns=HOUR_NS, days_per_year=365)  # ~17 days
    s = long.result.summary
    assert s["n_days"] >= 16 and s["days_per_year"] == 365 and s["sharpe"] is not None
    ts, eq = long.result.equity_ts_ns, long.result.equity.astype(np.float64)
    days = ts // (24 * HOUR_NS)
    closes = [eq[0]] + [eq[np.flatnonzero(days == d)[-1]] for d in np.unique(days)]
    r = np.diff(closes) / np.asarray(closes[:-1])
    assert s["sharpe"] == pytest.approx(np.mean(r) / np.std(r, ddof=1) * np.sqrt(365))
