"""Matching on an L2 book: walking levels, consumed liquidity, resting limits crossed by the book."""

from __future__ import annotations

from domain.enums import BookAction, BookLevel, LiquiditySide, OrderSide, OrderType, TimeInForce
from tests.unit.exchange_harness import Venue

BUY, SELL = OrderSide.BUY, OrderSide.SELL
ADD = BookAction.ADD
TAKER, MAKER = int(LiquiditySide.TAKER), int(LiquiditySide.MAKER)


def l2_venue() -> Venue:
    v = Venue(book_level=BookLevel.L2)
    for side, px, size in ((BUY, 480000, 5), (BUY, 479975, 5), (SELL, 480025, 2),
                           (SELL, 480050, 3), (SELL, 480075, 4)):
        v.delta(ADD, side, px, size, level=BookLevel.L2)
    return v


def test_a_market_order_walks_the_book_across_levels() -> None:
    v = l2_venue()
    c = v.submit(BUY, OrderType.MARKET, 6)
    assert v.fills(c) == [(480025, 2, TAKER), (480050, 3, TAKER), (480075, 1, TAKER)]


def test_a_market_order_larger_than_the_book_fills_the_book_and_cancels_the_rest() -> None:
    v = l2_venue()
    c = v.submit(BUY, OrderType.MARKET, 20)
    assert sum(q for _, q, _ in v.fills(c)) == 9 and v.kinds(c)[-1] == "CANCELED"


def test_liquidity_taken_is_not_filled_twice_until_the_level_changes() -> None:
    v = l2_venue()
    a = v.submit(BUY, OrderType.MARKET, 3)
    b = v.submit(BUY, OrderType.MARKET, 3)
    assert v.fills(a) == [(480025, 2, TAKER), (480050, 1, TAKER)]
    assert v.fills(b) == [(480050, 2, TAKER), (480075, 1, TAKER)]
    v.delta(BookAction.MODIFY, SELL, 480025, 6, level=BookLevel.L2)  # fresh size at the touch
    c = v.submit(BUY, OrderType.MARKET, 1)
    assert v.fills(c) == [(480025, 1, TAKER)]


def test_a_limit_walks_only_the_levels_it_crosses_then_rests() -> None:
    v = l2_venue()
    c = v.submit(BUY, OrderType.LIMIT, 7, price=480050)
    assert v.fills(c) == [(480025, 2, TAKER), (480050, 3, TAKER)] and v.kinds(c)[-1] == "FILLED"
    assert v.order(c).leaves_raw == 2 and v.order(c).is_open


def test_fok_counts_only_untaken_liquidity() -> None:
    v = l2_venue()
    v.submit(BUY, OrderType.MARKET, 4)
    c = v.submit(BUY, OrderType.LIMIT, 6, price=480075, tif=TimeInForce.FOK)
    assert v.kinds(c) == ["ACCEPTED", "CANCELED"]


def test_a_resting_limit_fills_as_maker_when_the_book_crosses_it_after_a_last_record() -> None:
    v = l2_venue()
    c = v.submit(SELL, OrderType.LIMIT, 4, price=480050)
    v.delta(ADD, BUY, 480050, 3, level=BookLevel.L2, last=False)
    assert v.fills(c) == []
    v.delta(ADD, BUY, 480025, 9, level=BookLevel.L2, last=True)  # does not cross 4800.50
    assert v.fills(c) == [(480050, 3, MAKER)]
    v.delta(BookAction.MODIFY, SELL, 480050, 0, level=BookLevel.L2, last=False)
    v.delta(ADD, BUY, 480075, 9, level=BookLevel.L2, last=True)
    assert v.fills(c) == [(480050, 3, MAKER), (480050, 1, MAKER)] and v.order(c).is_closed
