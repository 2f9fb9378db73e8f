"""Market-if-touched and limit-if-touched at the simulated exchange (L1), one rule per test.

An if-touched order waits for the price to reach its trigger from the favourable side (a buy
when the ask is at or below the trigger, a sell when the bid is at or above it): the mirror of a
stop, which triggers when the price moves through its trigger against the position.
"""

from __future__ import annotations

import pytest

from domain.enums import AggressorSide, LiquiditySide, OrderSide, OrderType
from domain.orders import OrderSpec, OrderSpecError
from domain.values import Price, Quantity
from engines.exchange.matching import stop_triggered, touched
from tests.unit.exchange_harness import Venue

BUY, SELL = OrderSide.BUY, OrderSide.SELL
MAKER, TAKER = int(LiquiditySide.MAKER), int(LiquiditySide.TAKER)
MIT, LIT = OrderType.MARKET_IF_TOUCHED, OrderType.LIMIT_IF_TOUCHED


def test_a_buy_mit_waits_while_the_ask_is_above_and_fills_at_the_ask_once_touched() -> None:
    v = Venue()
    v.quote(480000, 480025)
    c = v.submit(BUY, MIT, 2, trigger=479950)
    v.quote(479975, 480000)  # ask above the trigger: a stop would have fired, this must not
    assert v.kinds(c) == ["ACCEPTED"]
    v.quote(479925, 479950)
    assert v.kinds(c) == ["ACCEPTED", "TRIGGERED", "FILLED"] and v.fills(c) == [(479950, 2, TAKER)]


def test_a_sell_mit_triggers_when_the_bid_rises_to_its_trigger() -> None:
    v = Venue()
    v.quote(480000, 480025)
    c = v.submit(SELL, MIT, 1, trigger=480100)
    v.quote(480050, 480075)
    assert v.kinds(c) == ["ACCEPTED"]
    v.quote(480125, 480150)  # gapped through: fills at the bid, better than the trigger
    assert v.kinds(c) == ["ACCEPTED", "TRIGGERED", "FILLED"] and v.fills(c) == [(480125, 1, TAKER)]


def test_a_mit_already_touched_on_arrival_triggers_at_once() -> None:
    v = Venue()
    v.quote(480000, 480025)
    c = v.submit(BUY, MIT, 1, trigger=480050)
    assert v.kinds(c) == ["ACCEPTED", "TRIGGERED", "FILLED"] and v.fills(c) == [(480025, 1, TAKER)]


def test_a_mit_triggers_on_a_trade_at_its_trigger_when_stops_ignore_quotes() -> None:
    v = Venue(stop_trigger_on_quotes=False)
    v.quote(480000, 480025)
    c = v.submit(SELL, MIT, 1, trigger=480100)
    v.quote(480100, 480125)
    assert v.kinds(c) == ["ACCEPTED"]
    v.trade(480100, 1, AggressorSide.BUYER)
    assert v.kinds(c) == ["ACCEPTED", "TRIGGERED", "FILLED"] and v.fills(c) == [(480100, 1, TAKER)]


def test_a_lit_rests_as_a_limit_after_touching_and_fills_as_maker() -> None:
    v = Venue()
    v.quote(480000, 480025)
    c = v.submit(BUY, LIT, 2, price=479900, trigger=479950)
    v.quote(479925, 479950)
    assert v.kinds(c) == ["ACCEPTED", "TRIGGERED"]
    v.quote(479875, 479900)
    assert v.fills(c) == [(479900, 2, MAKER)]


def test_modifying_a_mit_trigger_away_keeps_it_waiting_and_onto_the_market_fires_it() -> None:
    v = Venue()
    v.quote(480000, 480025)
    c = v.submit(BUY, MIT, 1, trigger=479900)
    v.modify(c, trigger=479800)
    assert v.kinds(c) == ["ACCEPTED", "UPDATED"]
    v.modify(c, trigger=480025)
    assert v.kinds(c) == ["ACCEPTED", "UPDATED", "UPDATED", "TRIGGERED", "FILLED"]


def test_touched_is_the_mirror_of_stop_triggered_and_both_include_the_trigger() -> None:
    for px in range(95, 106):
        assert touched(BUY, 100, px) == (px <= 100)
        assert touched(SELL, 100, px) == (px >= 100)
        assert stop_triggered(BUY, 100, px) == (px >= 100)


def test_if_touched_specs_need_their_prices() -> None:
    q, p = Quantity.from_str("1"), Price.from_str("1.10")
    assert OrderSpec.market_if_touched(BUY, q, p).order_type == MIT
    assert OrderSpec.limit_if_touched(SELL, q, p, p).order_type == LIT
    with pytest.raises(OrderSpecError, match="trigger_price must be set for MARKET_IF_TOUCHED"):
        OrderSpec(BUY, MIT, q)
    with pytest.raises(OrderSpecError, match="price must be set for LIMIT_IF_TOUCHED"):
        OrderSpec(BUY, LIT, q, trigger_price=p)
