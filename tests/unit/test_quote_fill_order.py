"""The order of a quote and the fills it causes at the simulated exchange (docs/engines.md,
"NautilusTrader parity"): the fills are records after the quote, caused by it, so a strategy's
``on_quote`` for that quote sees its orders as they were before them; the next quote sees them
filled. NautilusTrader's backtest fills first and then hands the quote to strategies: the one
ordering rule in which the two engines differ on a bracket strategy."""

from __future__ import annotations

from typing import Any

import numpy as np

from domain.enums import OrderSide
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
        super().on_quote(quote)
        orders = [self.cache.order(c) for c in self.ids]  # None: initialized by this quote
        self.seen.append((quote.bid.raw, [o.status if o else None for o in orders]))


def _limit_sell(s: Script) -> None:
    s.ids.append(s.submit_order(s.order_factory.limit(SYMBOL, OrderSide.SELL, 1000, "1.10100")))


def test_a_strategy_sees_an_order_a_quote_fills_as_open_on_that_quote_and_filled_on_the_next():
    s = Watching({2: _limit_sell})
    kernel = build([s], risk=RiskConfig(short_selling={SYMBOL}))  # may sell short from flat
    feed(kernel, quotes(kernel, np.array([110_000] * 3 + [110_100, 110_000], dtype=np.int64)))
    assert kernel.faulted is None
    (coid,) = s.ids
    assert kernel.cache.order(coid).status == OrderStatus.FILLED
    # on the quote whose bid reached the limit the order was still open; on the next, filled
    assert s.seen[3] == (110_100, [OrderStatus.ACCEPTED])
    assert s.seen[4] == (110_000, [OrderStatus.FILLED])
    recs = _by_seq(kernel)
    (fill,) = [r for r in log(kernel) if r.kind == Kind.ORDER_FILLED]
    quote = recs[fill.cause]
    assert quote.kind == Kind.QUOTE and quote.bid == 110_100 and fill.seq > quote.seq
