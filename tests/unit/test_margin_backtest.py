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
from replay.reexecute import reexecute
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


def test_a_flipping_strategy_on_3500_usd_is_stopped_by_margin_and_calls_are_journaled(
        tmp_path: Path) -> None:
    # 100 000 EUR at ~1.1 needs 3 300 USD: the first orders fit, each flip loses the spread
    r = run(tmp_path, Flipper(), "3500 USD", n=600)
    s = r.result.summary
    assert s["n_fills"] > 2 and s["n_denied"] > 0
    assert s["denied_reasons"][0]["reason"] == "margin"
    states = journal_kinds(r.journal, Kind.ACCOUNT_STATE)
    calls = journal_kinds(r.journal, Kind.MARGIN_CALL)
    assert len(calls) > 0
    negative = states[states["balance_free"] < 0]
    # free < 0 only through a realized loss beyond margin, and each such state has its call
    assert sorted(negative["seq"] + 1) == sorted(calls["seq"])
    assert (states["balance_total"] >= 0).all()


def test_a_resting_limit_order_locks_its_initial_margin(tmp_path: Path) -> None:
    strategy = RestingBid("resting")
    run(tmp_path, strategy, "100000 USD", n=20)
    # 200 000 EUR at 1.00000 x 3% = 6 000.00 USD, for as long as the order rests
    assert set(strategy.seen) == {(6_000_00, 6_000_00, 94_000_00)}


class PartialClose(Strategy):
    """Buys 200 000 on the first quote and sells 100 000 of it on the tenth."""

    def on_start(self) -> None:
        self.subscribe_quotes(SYM)
        self.n = 0

    def on_quote(self, quote) -> None:
        self.n += 1
        if self.n in (1, 10):
            side = OrderSide.BUY if self.n == 1 else OrderSide.SELL
            self.submit_order(self.order_factory.market(SYM, side, 200_000 if self.n == 1
                                                        else 100_000))


def partial_close_run(path: Path, liquidate: bool):
    # 1.10000 for 5 quotes, then 1.05000: selling half realizes -5 000 USD on 7 000 USD while
    # the other half still holds ~3 150 USD of maintenance margin: a margin call
    mids = np.r_[np.full(5, 110_000), np.full(15, 105_000)]
    source = DataSource.from_records(Instrument.fx_pair(SYM), [quotes(mids, spread_raw=5)])
    cfg = BacktestConfig(journal=str(path), venues=[VenueConfig(
        starting_balances=["7000 USD"], liquidate_on_margin_call=liquidate)])
    return BacktestNode(cfg, strategies=[PartialClose("partial")], data=[source]).run()


def test_liquidation_on_margin_call_is_off_by_default_and_closes_positions_when_set(
        tmp_path: Path) -> None:
    plain = partial_close_run(tmp_path / "plain", False)
    assert len(journal_kinds(plain.journal, Kind.MARGIN_CALL)) == 1
    assert plain.result.summary["n_positions"] == 1 and plain.result.summary[
        "n_closed_positions"] == 0  # the rest stays open
    liquidated = partial_close_run(tmp_path / "liq", True)
    s = liquidated.result.summary
    call = journal_kinds(liquidated.journal, Kind.MARGIN_CALL)
    fills = journal_kinds(liquidated.journal, Kind.ORDER_FILLED)
    # a second call follows the liquidation's own realized loss; nothing is left to close then
    assert len(call) == 2 and len(fills) == 3
    # the third fill is the liquidator's: after the call, the remaining 100 000, closing it
    assert int(fills["seq"][2]) > int(call["seq"][0]) and int(fills["last_qty"][2]) == 100_000
    assert fills["strategy_id"][2] != fills["strategy_id"][0]
    assert s["n_closed_positions"] == 1 and s["open_commissions"] == {}
    # the liquidator is rebuilt from the manifest; the strategy given in code is passed again
    assert reexecute(liquidated.journal, strategies=[PartialClose("partial")]).ok
