"""Matching on quotes and trades (L1): each order type and time in force, one rule per test."""

from __future__ import annotations

from domain.enums import AggressorSide, LiquiditySide, OrderSide, OrderType, TimeInForce
from tests.unit.exchange_harness import Venue

BUY, SELL = OrderSide.BUY, OrderSide.SELL
MAKER, TAKER = int(LiquiditySide.MAKER), int(LiquiditySide.TAKER)


def test_market_buy_fills_at_the_ask_and_market_sell_at_the_bid() -> None:
    v = Venue()
    v.quote(480000, 480025)
    b = v.submit(BUY, OrderType.MARKET, 3)
    s = v.submit(SELL, OrderType.MARKET, 2)
    assert v.kinds(b) == ["ACCEPTED", "FILLED"] and v.fills(b) == [(480025, 3, TAKER)]
    assert v.fills(s) == [(480000, 2, TAKER)]


def test_market_order_without_a_market_is_rejected_with_a_reason() -> None:
    v = Venue()
    c = v.submit(BUY, OrderType.MARKET, 1)
    (ev,) = v.events(c)
    assert v.kinds(c) == ["REJECTED"] and "no market" in v.reason(ev)


def test_with_displayed_sizes_a_market_order_fills_the_touch_and_cancels_the_rest() -> None:
    v = Venue(nominal_l1_sizes=False)
    v.quote(480000, 480025, ask_size=4)
    c = v.submit(BUY, OrderType.MARKET, 10)
    assert v.fills(c) == [(480025, 4, TAKER)] and v.kinds(c)[-1] == "CANCELED"


def test_a_second_market_order_does_not_take_the_same_displayed_size_again() -> None:
    v = Venue(nominal_l1_sizes=False)
    v.quote(480000, 480025, ask_size=4)
    a = v.submit(BUY, OrderType.MARKET, 3)
    b = v.submit(BUY, OrderType.MARKET, 3)
    assert v.fills(a) == [(480025, 3, TAKER)] and v.fills(b) == [(480025, 1, TAKER)]
    v.quote(480000, 480025, ask_size=5)  # the data changed the level: liquidity is new
    c = v.submit(BUY, OrderType.MARKET, 3)
    assert v.fills(c) == [(480025, 3, TAKER)]


def test_a_resting_buy_limit_fills_as_maker_at_its_price_when_the_ask_reaches_it() -> None:
    v = Venue()
    v.quote(480000, 480050)
    c = v.submit(BUY, OrderType.LIMIT, 2, price=480025)
    assert v.kinds(c) == ["ACCEPTED"]
    v.quote(480000, 480050)
    assert v.fills(c) == []
    v.quote(479975, 480000)  # ask through the limit
    assert v.fills(c) == [(480025, 2, MAKER)]


def test_a_marketable_limit_fills_as_taker_at_the_touch_on_arrival() -> None:
    v = Venue()
    v.quote(480000, 480025)
    c = v.submit(BUY, OrderType.LIMIT, 2, price=480100)
    assert v.fills(c) == [(480025, 2, TAKER)]


def test_a_post_only_limit_that_would_take_is_rejected_naming_the_prices() -> None:
    v = Venue()
    v.quote(480000, 480025)
    c = v.submit(BUY, OrderType.LIMIT, 2, price=480025, post_only=True)
    (ev,) = v.events(c)
    assert v.kinds(c) == ["REJECTED"]
    assert v.reason(ev) == "post-only BUY limit at price 4800.25 would take liquidity at 4800.25"
    ok = v.submit(BUY, OrderType.LIMIT, 2, price=480000, post_only=True)
    assert v.kinds(ok) == ["ACCEPTED"]


def test_ioc_fills_what_it_can_and_cancels_the_rest() -> None:
    v = Venue(nominal_l1_sizes=False)
    v.quote(480000, 480025, ask_size=3)
    c = v.submit(BUY, OrderType.LIMIT, 5, price=480025, tif=TimeInForce.IOC)
    assert v.kinds(c) == ["ACCEPTED", "FILLED", "CANCELED"] and v.fills(c) == [(480025, 3, TAKER)]
    assert v.order(c).filled_raw == 3


def test_a_limit_that_cannot_take_on_arrival_rests_unless_ioc_or_fok() -> None:
    # GTC (and DAY) rest at once; IOC / FOK take nothing and are canceled; with no market at
    # all a limit rests too (only market orders need the opposite side)
    v = Venue()
    v.quote(480000, 480050)
    gtc = v.submit(BUY, OrderType.LIMIT, 2, price=480025)
    ioc = v.submit(BUY, OrderType.LIMIT, 2, price=480025, tif=TimeInForce.IOC)
    fok = v.submit(SELL, OrderType.LIMIT, 2, price=480025, tif=TimeInForce.FOK)
    assert v.kinds(gtc) == ["ACCEPTED"]
    assert v.kinds(ioc) == ["ACCEPTED", "CANCELED"] and v.kinds(fok) == ["ACCEPTED", "CANCELED"]
    v.quote(479975, 480000)
    assert v.fills(gtc) == [(480025, 2, MAKER)] and v.fills(ioc) == []
    empty = Venue()
    c = empty.submit(SELL, OrderType.LIMIT, 1, price=480100)
    assert empty.kinds(c) == ["ACCEPTED"]
    empty.quote(480100, 480125)
    assert empty.fills(c) == [(480100, 1, MAKER)]


def test_a_stop_already_through_its_trigger_on_arrival_fires_at_once() -> None:
    v = Venue()
    v.quote(480000, 480025)
    c = v.submit(BUY, OrderType.STOP_MARKET, 2, trigger=480025)  # the ask is at the trigger
    assert v.kinds(c) == ["ACCEPTED", "TRIGGERED", "FILLED"] and v.fills(c) == [(480025, 2, TAKER)]
    d = v.submit(SELL, OrderType.STOP_MARKET, 1, trigger=479900)  # the bid is above: it waits
    assert v.kinds(d) == ["ACCEPTED"]


def test_fok_cancels_without_a_fill_when_the_visible_liquidity_is_short() -> None:
    v = Venue(nominal_l1_sizes=False)
    v.quote(480000, 480025, ask_size=3)
    c = v.submit(BUY, OrderType.LIMIT, 5, price=480025, tif=TimeInForce.FOK)
    assert v.kinds(c) == ["ACCEPTED", "CANCELED"]
    d = v.submit(BUY, OrderType.LIMIT, 3, price=480025, tif=TimeInForce.FOK)
    assert v.fills(d) == [(480025, 3, TAKER)]


def test_a_trade_through_a_resting_limit_fills_it_but_a_trade_at_it_does_not() -> None:
    v = Venue()
    v.quote(480000, 480050)
    c = v.submit(BUY, OrderType.LIMIT, 2, price=480025)
    v.trade(480025, 5, AggressorSide.SELLER)
    assert v.fills(c) == []
    v.trade(480000, 1, AggressorSide.SELLER)
    assert v.fills(c) == [(480025, 2, MAKER)]


def test_the_seeded_fill_model_fills_a_limit_touched_by_a_trade() -> None:
    v = Venue(prob_fill_at_limit=1.0)
    v.quote(480000, 480050)
    c = v.submit(BUY, OrderType.LIMIT, 5, price=480025)
    v.trade(480025, 2, AggressorSide.BUYER)  # a buyer does not hit a resting buy
    assert v.fills(c) == []
    v.trade(480025, 2, AggressorSide.SELLER)
    assert v.fills(c) == [(480025, 2, MAKER)]


def test_a_stop_market_triggers_on_a_trade_at_its_trigger_then_fills_at_the_touch() -> None:
    v = Venue(stop_trigger_on_quotes=False)
    v.quote(480000, 480025)
    c = v.submit(BUY, OrderType.STOP_MARKET, 2, trigger=480100)
    assert v.kinds(c) == ["ACCEPTED"]
    v.trade(480075, 1, AggressorSide.BUYER)
    assert v.kinds(c) == ["ACCEPTED"]
    v.quote(480075, 480125)
    v.trade(480100, 1, AggressorSide.BUYER)
    assert v.kinds(c) == ["ACCEPTED", "TRIGGERED", "FILLED"] and v.fills(c) == [(480125, 2, TAKER)]


def test_a_sell_stop_triggers_on_the_bid_when_stops_follow_quotes() -> None:
    v = Venue()
    v.quote(480000, 480025)
    c = v.submit(SELL, OrderType.STOP_MARKET, 1, trigger=479900)
    v.quote(479900, 479925)
    assert v.kinds(c) == ["ACCEPTED", "TRIGGERED", "FILLED"] and v.fills(c) == [(479900, 1, TAKER)]


def test_a_stop_limit_rests_as_a_limit_after_triggering_when_not_marketable() -> None:
    v = Venue(stop_trigger_on_quotes=False)
    v.quote(480000, 480025)
    c = v.submit(BUY, OrderType.STOP_LIMIT, 2, price=480050, trigger=480050)
    v.quote(480050, 480100)
    v.trade(480050, 1, AggressorSide.BUYER)
    assert v.kinds(c) == ["ACCEPTED", "TRIGGERED"]
    v.quote(480000, 480050)
    assert v.fills(c) == [(480050, 2, MAKER)]


def test_market_to_limit_fills_at_the_touch_and_rests_the_rest_as_a_limit_there() -> None:
    v = Venue(nominal_l1_sizes=False)
    v.quote(480000, 480025, ask_size=2)
    c = v.submit(BUY, OrderType.MARKET_TO_LIMIT, 5)
    assert v.kinds(c) == ["ACCEPTED", "FILLED", "UPDATED"]
    assert v.fills(c) == [(480025, 2, TAKER)] and v.order(c).price_raw == 480025
    v.quote(480000, 480025, ask_size=9)
    assert v.fills(c)[-1] == (480025, 3, MAKER) and v.order(c).is_closed


def test_prices_off_the_tick_grid_and_sizes_off_the_lot_grid_are_rejected_by_field() -> None:
    v = Venue()
    v.quote(480000, 480025)
    c = v.submit(BUY, OrderType.LIMIT, 1, price=480010)
    assert v.reason(v.events(c)[0]) == "price 4800.10 is off the tick grid (tick_size 0.25)"
    d = v.submit(SELL, OrderType.STOP_MARKET, 1, trigger=479999)
    assert v.reason(v.events(d)[0]).startswith("trigger_price 4799.99 is off the tick grid")


def test_reduce_only_is_refused_when_flat_and_capped_to_the_position() -> None:
    v = Venue()
    v.quote(480000, 480025)
    r = v.submit(SELL, OrderType.MARKET, 1, reduce_only=True)
    assert v.kinds(r) == ["REJECTED"] and "would increase the position" in v.reason(v.events(r)[0])
    v.submit(BUY, OrderType.MARKET, 2)
    c = v.submit(SELL, OrderType.MARKET, 5, reduce_only=True)
    assert v.kinds(c) == ["ACCEPTED", "UPDATED", "FILLED"] and v.fills(c) == [(480000, 2, TAKER)]
    assert v.order(c).quantity_raw == 2


def test_commission_is_the_notional_times_the_maker_or_taker_rate_in_cents() -> None:
    v = Venue()
    v.quote(480000, 480025)
    t = v.submit(BUY, OrderType.MARKET, 3)
    m = v.submit(SELL, OrderType.LIMIT, 1, price=480100)
    v.quote(480100, 480125)
    taker = v.events(t)[-1]
    maker = v.events(m)[-1]
    # 3 * 4800.25 * 50 = 720037.50 USD * 0.0002 = 144.0075 -> 144.01 (nearest cent)
    assert taker.commission == 14401
    # 1 * 4801.00 * 50 = 240050 USD * 0.0001 = 24.005 -> 24.01 (a tie: half away from zero)
    assert maker.commission == 2401 and maker.liquidity_side == MAKER
