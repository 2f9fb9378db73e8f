"""The order of a market-data input, the engines' consequences of it and the strategies' reaction
to it (docs/engines.md, "Market data: the venue first"): the simulated exchange's fills of a quote
are the records right after it, caused by it, and applied before any strategy sees the quote; what
a strategy does on that quote comes after them, still caused by the quote. NautilusTrader's
backtest orders them the same way (its exchange fills, then its strategies get the quote)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.enums import BarAggregation, OrderSide, PriceType
from domain.kinds import Kind
from domain.order_fsm import OrderStatus
from engines.risk_checks import RiskConfig
from tests.unit.kernel_rig import SYMBOL, build, feed, log, quotes
from tests.unit.test_order_manager import Script, _by_seq


class Watching(Script):
    """``Script`` that notes, on every quote, the status of every order it submitted."""

    def __init__(self, script: dict) -> None:
        super().__init__(script)
        self.seen: list[tuple[int, list[OrderStatus | None]]] = []

    def on_quote(self, quote: Any) -> None:
        orders = [self.cache.order(c) for c in self.ids]
        self.seen.append((quote.bid.raw, [o.status if o else None for o in orders]))
        super().on_quote(quote)


def _limit_sell(s: Script) -> None:
    s.ids.append(s.submit_order(s.order_factory.limit(SYMBOL, OrderSide.SELL, 1000, "1.10100")))


def _kernel(s: Script) -> Any:
    return build([s], risk=RiskConfig(short_selling={SYMBOL}))  # may sell short from flat


def test_a_strategy_sees_the_order_a_quote_fills_as_filled_on_that_quote():
    s = Watching({2: _limit_sell})
    kernel = _kernel(s)
    feed(kernel, quotes(kernel, np.array([110_000] * 3 + [110_100, 110_000], dtype=np.int64)))
    assert kernel.faulted is None
    (coid,) = s.ids
    assert kernel.cache.order(coid).status == OrderStatus.FILLED
    assert s.seen[1] == (110_000, [])  # submitted on this quote (after the callback looked)
    assert s.seen[2] == (110_000, [OrderStatus.ACCEPTED])
    assert s.seen[3] == (110_100, [OrderStatus.FILLED])  # the quote whose bid reached the limit
    recs = _by_seq(kernel)
    (fill,) = [r for r in log(kernel) if r.kind == Kind.ORDER_FILLED]
    quote = recs[fill.cause]
    assert quote.kind == Kind.QUOTE and quote.bid == 110_100 and fill.seq > quote.seq


def test_what_a_strategy_does_on_that_quote_comes_after_the_fills_cascade_caused_by_the_quote():
    def buy_back(s: Script) -> None:
        s.market(OrderSide.BUY, 1000)

    s = Watching({2: _limit_sell, 4: buy_back})
    kernel = _kernel(s)
    feed(kernel, quotes(kernel, np.array([110_000] * 3 + [110_100, 110_000], dtype=np.int64)))
    assert kernel.faulted is None
    sell, buy = s.ids
    recs = log(kernel)
    quote = next(r for r in recs if r.kind == Kind.QUOTE and r.bid == 110_100)
    caused = [r for r in recs if r.cause == quote.seq]
    fill = next(r for r in caused if r.kind == Kind.ORDER_FILLED)
    command = next(r for r in caused if r.kind == Kind.SUBMIT_ORDER)
    assert fill.client_order_id == sell and command.client_order_id == buy
    # everything the fill led to (position, account) is sequenced before the strategy's command
    fill_cascade = [r for r in recs if r.cause == fill.seq]
    assert fill_cascade and max(r.seq for r in fill_cascade) < command.seq
    assert kernel.cache.order(buy).status == OrderStatus.FILLED
    (buy_fill,) = [r for r in recs if r.kind == Kind.ORDER_FILLED and r.client_order_id == buy]
    assert buy_fill.seq > command.seq
    assert buy_fill.last_px == quote.ask  # at that quote's ask


def test_a_quote_the_exchange_does_not_act_on_is_followed_by_the_strategys_command_at_once():
    s = Watching({2: _limit_sell})
    kernel = _kernel(s)
    feed(kernel, quotes(kernel, np.array([110_000] * 4, dtype=np.int64)))
    recs = log(kernel)
    second = [r for r in recs if r.kind == Kind.QUOTE][1]
    after = next(r for r in recs if r.seq == second.seq + 1)
    assert after.kind == Kind.ORDER_INITIALIZED and after.cause == second.seq


@settings(max_examples=25, deadline=None)
@given(bids=st.lists(st.integers(109_950, 110_150), min_size=5, max_size=60),
       every=st.integers(1, 4))
def test_per_quote_the_exchanges_whole_cascade_precedes_every_strategy_record(bids, every):
    """Invariant: of the records a quote input leads to, the simulated exchange's (its fills and
    everything they cause in turn: positions, accounts, the OCO partner's cancel) all come before
    those a strategy emits on that quote (it saw the quote with all of them applied)."""
    def flip(s: Script) -> None:
        side = OrderSide.BUY if len(s.ids) % 2 == 0 else OrderSide.SELL
        s.ids.append(s.submit_order(s.order_factory.limit(
            SYMBOL, side, 1000, f"{(110_050 if side == OrderSide.BUY else 110_000) / 1e5:.5f}")))

    s = Watching({i: flip for i in range(1, len(bids) + 1, every)})
    kernel = _kernel(s)
    feed(kernel, quotes(kernel, np.array(bids, dtype=np.int64)))
    assert kernel.faulted is None
    exchange = kernel.component("exchange-SIM")
    recs = log(kernel)
    for q in (r for r in recs if r.kind == Kind.QUOTE):
        venue = {r.seq for r in recs if r.cause == q.seq and r.source == exchange.source_id}
        mine = [r.seq for r in recs if r.cause == q.seq and r.source == s.source_id]
        if not (venue and mine):
            continue
        for r in recs:  # records are in seq order: a cause is always an earlier record
            if r.cause in venue:
                venue.add(r.seq)
        assert max(venue) < min(mine), q.seq


class QuotesAndTickBars(Script):
    """Subscribes to the quotes and to 3-tick mid bars aggregated from them; notes each callback."""

    def __init__(self) -> None:
        super().__init__({})
        self.calls: list[tuple[str, int]] = []

    def on_start(self) -> None:
        super().on_start()
        self.subscribe_bars(SYMBOL, BarAggregation.TICK, 3, PriceType.MID)

    def on_quote(self, quote: Any) -> None:
        self.calls.append(("quote", self.ctx.current_seq))  # the quote's seq

    def on_bar(self, bar: Any) -> None:
        self.calls.append(("bar", self.ctx.current_seq))  # the bar record's seq


def test_a_bar_a_quote_closes_reaches_the_strategy_before_that_quote():
    """The data engine's bar is an engine's consequence of the quote: as in NautilusTrader, whose
    bar aggregators take a quote ahead of the strategies (message bus priority 5)."""
    s = QuotesAndTickBars()
    kernel = _kernel(s)
    feed(kernel, quotes(kernel, np.arange(110_000, 110_009, dtype=np.int64)))
    assert kernel.faulted is None
    assert [what for what, _ in s.calls] == ["quote", "quote", "bar", "quote"] * 3
    recs = _by_seq(kernel)
    for i in (2, 6, 10):  # each bar is caused by the quote the strategy is handed right after it
        (_, bar_seq), (_, quote_seq) = s.calls[i], s.calls[i + 1]
        assert recs[bar_seq].kind == Kind.BAR and recs[bar_seq].cause == quote_seq
        assert recs[quote_seq].kind == Kind.QUOTE and bar_seq > quote_seq
