"""Trailing stops at the simulated exchange (L1, tick 0.25 = raw 25), one rule per test."""

from __future__ import annotations

from domain.enums import (
    AggressorSide,
    LiquiditySide,
    OrderSide,
    OrderType,
    TrailingOffsetType,
    TriggerType,
)
from domain.kinds import Kind
from tests.unit.exchange_harness import Venue

BUY, SELL = OrderSide.BUY, OrderSide.SELL
MAKER, TAKER = int(LiquiditySide.MAKER), int(LiquiditySide.TAKER)
TSM, TSL = OrderType.TRAILING_STOP_MARKET, OrderType.TRAILING_STOP_LIMIT
PRICE, BPS, TICKS = (int(TrailingOffsetType.PRICE), int(TrailingOffsetType.BASIS_POINTS),
                     int(TrailingOffsetType.TICKS))
BID_ASK, LAST, MID = int(TriggerType.BID_ASK), int(TriggerType.LAST_PRICE), int(TriggerType.MID_POINT)


def triggers(v: Venue, coid: int) -> list[int]:
    return [r.trigger_price for r in v.events(coid) if r.kind == Kind.ORDER_UPDATED]


def test_a_sell_trailing_stop_follows_the_bid_up_never_down_and_fires_on_the_way_down() -> None:
    v = Venue()
    v.quote(480000, 480025)
    c = v.submit(SELL, TSM, 2, trailing=(TICKS, BID_ASK, 2, 0))
    assert triggers(v, c) == [479950]  # set from the bid on arrival
    v.quote(480100, 480125)
    v.quote(480075, 480100)  # bid falls back: the trigger stays
    assert triggers(v, c) == [479950, 480050] and v.order(c).trigger_price_raw == 480050
    v.quote(480050, 480075)
    assert v.kinds(c) == ["ACCEPTED", "UPDATED", "UPDATED", "TRIGGERED", "FILLED"]
    assert v.fills(c) == [(480050, 2, TAKER)]


def test_each_move_is_an_order_updated_caused_by_the_quote() -> None:
    v = Venue()
    v.quote(480000, 480025)
    c = v.submit(SELL, TSM, 1, trigger=479900, trailing=(PRICE, BID_ASK, 100, 0))
    v.quote(480100, 480125)
    quote = [r for r in v.records if r.kind == Kind.QUOTE][-1]
    upd = [r for r in v.events(c) if r.kind == Kind.ORDER_UPDATED]
    # the given trigger 4799.00 is below bid - 1.00 = 4799.00 on arrival: not moved then
    assert [r.trigger_price for r in upd] == [480000] and upd[0].cause == quote.seq


def test_a_buy_trailing_stop_limit_trails_both_levels_and_rests_as_a_limit_once_triggered() -> None:
    v = Venue()
    v.quote(480000, 480025)
    c = v.submit(BUY, TSL, 1, trailing=(TICKS, BID_ASK, 2, 1))
    o = v.order(c)
    assert (o.trigger_price_raw, o.price_raw) == (480075, 480050)
    v.quote(479900, 479925)
    assert (v.order(c).trigger_price_raw, v.order(c).price_raw) == (479975, 479950)
    v.quote(479950, 479975)  # the ask reaches the trigger; the limit 4799.50 is below the ask
    assert v.kinds(c)[-1] == "TRIGGERED"
    v.quote(479925, 479950)
    assert v.fills(c) == [(479950, 1, MAKER)]


def test_a_last_price_trailing_stop_ignores_quotes_and_follows_trades() -> None:
    v = Venue(stop_trigger_on_quotes=False)
    v.quote(480000, 480025)
    c = v.submit(SELL, TSM, 1, trailing=(TICKS, LAST, 4, 0))
    assert triggers(v, c) == []  # no trade yet: no trigger, waiting
    v.quote(480500, 480525)
    v.trade(480200, 1, AggressorSide.BUYER)
    assert triggers(v, c) == [480100]
    v.trade(480100, 1, AggressorSide.SELLER)
    assert v.kinds(c)[-2:] == ["TRIGGERED", "FILLED"]


def test_a_mid_point_trailing_stop_follows_the_mid_and_basis_points_scale_with_it() -> None:
    v = Venue()
    v.quote(480000, 480050)  # mid 4800.25; 10 bp = 4.8025 -> 4.81 -> trigger 4795.44 -> grid
    c = v.submit(SELL, TSM, 1, trailing=(BPS, MID, 1000, 0))
    assert triggers(v, c) == [479525]


def test_a_trailing_stops_trigger_can_be_modified_and_keeps_trailing_from_there() -> None:
    v = Venue()
    v.quote(480000, 480025)
    c = v.submit(SELL, TSM, 1, trailing=(TICKS, BID_ASK, 2, 0))
    v.modify(c, trigger=479500)
    assert triggers(v, c) == [479950, 479500]
    v.quote(480025, 480050)
    assert triggers(v, c)[-1] == 479975
