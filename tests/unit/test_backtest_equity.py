"""The equity curve is the same whether data is published in batches or one at a time."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from domain.enums import OrderSide
from domain.instruments import Instrument
from engines.strategy import Strategy
from replay.backtest import BacktestNode
from replay.backtest_data import DataSource
from replay.config import BacktestConfig
from tests.unit.test_backtest_helpers import quotes, random_walk


class BuyOnce(Strategy):
    """Buys 100 000 on the first quote; keeps watching quotes only when ``watch``."""

    def __init__(self, watch: bool) -> None:
        super().__init__("buy_once")
        self.watch = watch
        self.bought = False

    def on_start(self) -> None:
        self.subscribe_quotes("EUR/USD.SIM")

    def on_quote(self, quote) -> None:
        if not self.bought:
            self.bought = True
            self.submit_order(self.order_factory.market("EUR/USD.SIM", OrderSide.BUY, 100_000))
            if not self.watch:
                self.unsubscribe_quotes("EUR/USD.SIM")


def curve(tmp_path: Path, watch: bool, records: np.ndarray):
    source = DataSource.from_records(Instrument.fx_pair("EUR/USD.SIM"),
                                     [records[i : i + 500] for i in range(0, len(records), 500)])
    cfg = BacktestConfig(journal=str(tmp_path / f"j{watch}"), equity_interval_ns=7 * 10**9)
    run = BacktestNode(cfg, strategies=[BuyOnce(watch)], data=[source]).run()
    return run


def test_batched_and_one_at_a_time_runs_sample_the_same_equity(tmp_path: Path) -> None:
    records = quotes(random_walk(3000, seed=11), step_ns=1_300_000_000)
    batched, single = curve(tmp_path, False, records), curve(tmp_path, True, records)
    assert batched.loop.batches > 0 and batched.loop.one_at_a_time < 10
    assert single.loop.batches == 0
    assert np.array_equal(batched.result.equity_ts_ns, single.result.equity_ts_ns)
    assert np.array_equal(batched.result.equity, single.result.equity)
    assert len(set(batched.result.equity.tolist())) > 50  # marked to market: it moves


def test_equity_marks_a_long_at_the_bid(tmp_path: Path) -> None:
    records = quotes(np.full(40, 110_000), spread_raw=4, step_ns=1_000_000_000)
    run = curve(tmp_path, True, records)
    eq = run.result.equity
    # bought at the ask (1.10004), marked at the bid (1.10000): -4 pips on 100 000 = -4.00 USD,
    # minus the 2.2 USD taker fee (0.002% of 110 004)
    # the curve starts at the starting balance; the grid points (every 7 s) come after the buy
    assert int(eq[0]) == 100_000_000 and run.result.equity_ts_ns[0] == records["ts_init"][0]
    assert set(eq[1:].tolist()) == {100_000_000 - 400 - 220}
    assert run.result.summary["total_pnl"] == "-6.20"
