"""Bar execution never fills at a price the bar did not trade (issue 12, item 3): for any bar
series (continuous, as FX minute bars are: each bar opens at the previous close) and any
market / limit / stop orders (venue or emulated) and brackets (with a venue or an
emulated stop-loss) placed on the bars, every fill lies within the [low, high] of a bar
covering its time, of the ask bar for a buy and the bid bar for a sell."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.enums import BarAggregation, OrderSide, PriceType, TriggerType
from domain.instruments import Instrument
from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
from engines.exchange.bar_path import bar_quotes
from engines.strategy import Strategy
from replay.config import VenueConfig
from replay.testing.harness import TradingHarness
from tests.unit.test_bar_execution import fills_within_bars

SYMBOL = "EUR/USD.SIM"
MIN = 60_000_000_000
T0 = 1_600_000_000 * 1_000_000_000
_BAR = KIND_DTYPES[Kind.BAR]

_MOVES = st.lists(st.tuples(st.integers(-8, 8), st.integers(0, 6), st.integers(0, 6)),
                  min_size=2, max_size=25)
_ORDERS = st.lists(st.tuples(st.sampled_from(("market", "limit", "stop", "emulated_stop",
                                               "bracket", "emulated_bracket")),
                             st.sampled_from((OrderSide.BUY, OrderSide.SELL)),
                             st.integers(-4, 6)), max_size=25)


def series(moves: list[tuple[int, int, int]], spread: int) -> tuple[np.ndarray, np.ndarray]:
    """Bid and ask bars: each opens at the previous close; ask = bid + spread."""
    n = len(moves)
    b = np.zeros(n, dtype=_BAR)
    px = 110_000
    for i, (move, up, down) in enumerate(moves):
        o, c = px, px + move
        b[i]["open"], b[i]["close"] = o, c
        b[i]["high"], b[i]["low"] = max(o, c) + up, min(o, c) - down
        px = c
    b["kind"] = int(Kind.BAR)
    b["price_precision"] = 5
    b["aggregation"], b["step"] = int(BarAggregation.MINUTE), 1
    b["ts_open"] = T0 + np.arange(n) * MIN
    b["ts_event"] = b["ts_init"] = b["ts_open"] + MIN
    bid, ask = b.copy(), b.copy()
    bid["price_type"], ask["price_type"] = int(PriceType.BID), int(PriceType.ASK)
    for f in ("open", "high", "low", "close"):
        ask[f] += spread
    return bid.view(RECORD_DTYPE), ask.view(RECORD_DTYPE)


class OnBars(Strategy):
    """Places the n-th order on the n-th bid bar, ``offset`` ticks from the touch."""

    def __init__(self, orders: list[tuple[str, OrderSide, int]]) -> None:
        super().__init__("on-bars")
        self.orders = list(orders)

    def on_start(self) -> None:
        self.subscribe_bars(SYMBOL, BarAggregation.MINUTE, 1, PriceType.BID)

    def on_bar(self, bar: Any) -> None:
        if not self.orders:
            return
        op, side, offset = self.orders.pop(0)
        iid = self.instrument_id(SYMBOL)
        inst = self.cache.instrument(iid)
        quote = self.cache.quote(iid)
        sign = 1 if side == OrderSide.BUY else -1
        touch = quote.ask if side == OrderSide.BUY else quote.bid

        def px(raw: int) -> Any:
            return inst.make_price(f"{max(raw, 1) / 1e5:.5f}")

        f = self.order_factory
        if op == "market":
            order = f.market(iid, side, 1000)
        elif op == "limit":
            order = f.limit(iid, side, 1000, px(touch - sign * offset))
        elif op.endswith("bracket"):  # exits |offset| + 1 ticks from the touch
            away = abs(offset) + 1
            emulation = TriggerType.BID_ASK if op.startswith("emulated") else None
            self.submit_order_list(f.bracket(iid, side, 1000, take_profit=px(touch + sign * away),
                                             stop_loss=px(touch - sign * away),
                                             emulation_trigger=emulation))
            return
        else:
            emulation = TriggerType.BID_ASK if op == "emulated_stop" else None
            order = f.stop_market(iid, side, 1000, px(touch + sign * abs(offset) + sign),
                                  emulation_trigger=emulation)
        self.submit_order(order)


@given(moves=_MOVES, spread=st.integers(0, 3), orders=_ORDERS)
@settings(max_examples=40, deadline=None)
def test_every_fill_on_bars_lies_within_its_bar_on_its_side(moves, spread, orders) -> None:
    bid, ask = series(moves, spread)
    both = np.concatenate([bid, ask])
    records = bar_quotes(both[np.argsort(both["ts_init"], kind="stable")])
    harness = TradingHarness(Instrument.fx_pair(SYMBOL), [OnBars(orders)],
                             venue=VenueConfig(name="SIM"), start_ns=T0)
    harness.feed(records)
    harness.finish()
    assert harness.kernel.faulted is None
    fills_within_bars(harness.log(), bid, ask)
