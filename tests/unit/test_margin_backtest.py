"""Margin accounts in whole backtests: initial margin for orders, maintenance for positions,
denials that name margin before the free balance goes negative, margin calls after."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from domain.codec import as_kind
from domain.enums import OrderSide
from domain.instruments import Instrument
from domain.kinds import Kind
from engines.strategy import Strategy
from journal.reader import JournalReader
from journal.store import Journal
from replay.backtest import BacktestNode
from replay.backtest_data import DataSource
from replay.config import BacktestConfig, VenueConfig
from tests.unit.test_backtest_helpers import quotes, random_walk

SYM = "EUR/USD.SIM"


class KeepBuying(Strategy):
    """Buys ``size`` at market on every quote."""

    def __init__(self, size: int = 1_000_000) -> None:
        super().__init__("keep_buying")
        self.size = size

    def on_start(self) -> None:
        self.subscribe_quotes(SYM)

    def on_quote(self, quote) -> None:
        self.submit_order(self.order_factory.market(SYM, OrderSide.BUY, self.size))


class Flipper(Strategy):
    """Flips between long and short ``size`` every quote: close, then open the other side."""

    def __init__(self, size: int = 100_000) -> None:
        super().__init__("flipper")
        self.size, self.n = size, 0

    def on_start(self) -> None:
        self.subscribe_quotes(SYM)

    def on_quote(self, quote) -> None:
        self.n += 1
        side = OrderSide.BUY if self.n % 2 else OrderSide.SELL
        for pos in self.cache.positions(open_only=True):
            self.close_position(pos)
        self.submit_order(self.order_factory.market(SYM, side, self.size))


class RestingBid(Strategy):
    """Places one limit buy far below the market, leaves it, and notes the account's margins."""

    def on_start(self) -> None:
        self.subscribe_quotes(SYM)
        self.placed = False
        self.seen: list[tuple[int, int, int]] = []

    def on_quote(self, quote) -> None:
        if not self.placed:
            self.placed = True
            self.submit_order(self.order_factory.limit(SYM, OrderSide.BUY, 200_000, "1.00000"))
            return
        account = self.cache.account(self.ctx.strings.id_of("SIM-001"))
        row = account.to_fields()[0]
        self.seen.append((row["balance_locked"], row["margin_init"], row["balance_free"]))


def run(tmp_path: Path, strategy: Strategy, balance: str, n: int = 300, trend: int = 0):
    mids = random_walk(n, seed=9) + trend * np.arange(n)
    source = DataSource.from_records(Instrument.fx_pair(SYM), [quotes(mids, spread_raw=5)])
    cfg = BacktestConfig(journal=str(tmp_path / "journal"),
                         venues=[VenueConfig(starting_balances=[balance])])
    return BacktestNode(cfg, strategies=[strategy], data=[source]).run()


def journal_kinds(path: str, kind: Kind) -> np.ndarray:
    with Journal.open(path) as j:
        recs = JournalReader(j).records_between()
    return as_kind(recs[recs["kind"] == kind], kind)


def test_keep_buying_is_denied_by_margin_before_the_free_balance_goes_negative(
        tmp_path: Path) -> None:
    r = run(tmp_path, KeepBuying(), "1000000 USD")
    s = r.result.summary
    # 1 M EUR at ~1.1 needs 3% = ~33 000 USD: about 30 orders fit in 1 M USD
    assert 25 <= s["n_fills"] <= 31 and s["n_denied"] == s["n_orders"] - s["n_fills"]
    assert s["denied_reasons"][0]["reason"] == "margin"
    assert "order needs initial margin" in s["denied_reasons"][0]["example"]
    states = journal_kinds(r.journal, Kind.ACCOUNT_STATE)
    assert (states["balance_free"] >= 0).all()
    assert states["margin_maint"].max() > 950_000_00  # the position's margin is held
    assert len(journal_kinds(r.journal, Kind.MARGIN_CALL)) == 0


def test_a_flipping_strategy_on_3000_usd_is_stopped_by_margin_and_calls_are_journaled(
        tmp_path: Path) -> None:
    r = run(tmp_path, Flipper(), "3000 USD", n=600)
    s = r.result.summary
    assert s["n_denied"] > 0 and s["denied_reasons"][0]["reason"] == "margin"
    states = journal_kinds(r.journal, Kind.ACCOUNT_STATE)
    calls = journal_kinds(r.journal, Kind.MARGIN_CALL)
    negative = states[states["balance_free"] < 0]
    # free < 0 only through a realized loss beyond margin, and each such state has its call
    assert sorted(negative["seq"] + 1) == sorted(calls["seq"])
    assert (states["balance_total"] >= 0).all()


def test_a_resting_limit_order_locks_its_initial_margin(tmp_path: Path) -> None:
    strategy = RestingBid("resting")
    run(tmp_path, strategy, "100000 USD", n=20)
    # 200 000 EUR at 1.00000 x 3% = 6 000.00 USD, for as long as the order rests
    assert set(strategy.seen) == {(6_000_00, 6_000_00, 94_000_00)}
