"""Cash accounts in whole backtests: equity values the holdings, sells stop at the holding
unless the venue allows short selling, buys need the quote currency and the fee."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np

from domain.instruments import Instrument
from replay.backtest import BacktestNode
from replay.backtest_data import DataSource
from replay.config import BacktestConfig, StrategyConfig, VenueConfig
from tests.unit.test_backtest_helpers import quotes, random_walk
from tests.unit.test_backtest_report_figures import RoundTrips

SYM = "EUR/USD.SIM"


def run(tmp_path: Path, n: int = 2000, strategy=None, params=None, **venue) -> object:
    records = quotes(random_walk(n, seed=21), spread_raw=3)
    source = DataSource.from_records(Instrument.fx_pair(SYM), [records])
    cfg = BacktestConfig(
        journal=str(tmp_path / "journal"), equity_interval_ns=10 * 10**9,
        venues=[VenueConfig(account_type="CASH", **venue)],
        strategies=[] if strategy is not None else [StrategyConfig("ema_cross", params or {})])
    return BacktestNode(cfg, strategies=[strategy] if strategy is not None else [],
                        data=[source]).run()


def test_cash_ema_cross_equity_is_continuous_and_never_sells_what_it_does_not_hold(
        tmp_path: Path) -> None:
    r = run(tmp_path)
    s = r.result.summary
    eq = r.result.equity.astype(np.int64)
    assert s["n_fills"] > 20
    # a 100 000 EUR holding valued at the bid: steps are price moves, not the +-110 000 USD of
    # a holding left out of equity
    assert np.abs(np.diff(eq)).max() < 500_00
    assert s["n_denied"] > 0 and s["denied_reasons"][0]["reason"] == "cash holding"
    assert "short selling not allowed for EUR/USD.SIM" in s["denied_reasons"][0]["example"]


def test_short_selling_is_allowed_per_instrument_by_the_venue(tmp_path: Path) -> None:
    s = run(tmp_path, short_selling=[SYM]).result.summary
    assert s["n_denied"] == 0 and s["n_fills"] > 40


def test_a_flat_cash_run_has_total_pnl_equal_to_realized_pnl(tmp_path: Path) -> None:
    s = run(tmp_path, n=40 * 12 + 16, strategy=RoundTrips()).result.summary
    assert s["n_closed_positions"] == s["n_positions"] == 13
    assert Decimal(s["total_pnl"]) == Decimal(s["realized_pnl"]["USD"]) != 0


def test_a_buy_needs_its_notional_and_fee_in_the_quote_currency(tmp_path: Path) -> None:
    s = run(tmp_path, starting_balances=["110000 USD"]).result.summary
    # 100 000 EUR at ~1.1 costs ~110 000 USD plus a 2.2 USD fee: more than the balance at times
    assert s["n_denied"] > 0
    reasons = {r["reason"] for r in s["denied_reasons"]}
    assert "balance" in reasons
