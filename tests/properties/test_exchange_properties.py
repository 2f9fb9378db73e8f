"""Properties of the exchange's matching: liquidity bounds, no double fills, L3 queue monotony."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.enums import BookAction, OrderSide
from engines.exchange.market import ConsumedLiquidity
from engines.exchange.matching import crossing_volume, walk
from engines.exchange.queue import SWEPT, QueuePosition

BUY = int(OrderSide.BUY)
PX = 10_000

sizes = st.lists(st.integers(0, 50), min_size=0, max_size=8)


def ask_levels(level_sizes: list[int]) -> list[tuple[int, int]]:
    return [(PX + 25 * i, s) for i, s in enumerate(level_sizes)]


@given(sizes, st.integers(1, 300), st.one_of(st.none(), st.integers(PX - 50, PX + 250)))
def test_a_taking_order_never_fills_beyond_the_liquidity_it_saw(
        level_sizes: list[int], qty: int, limit: int | None) -> None:
    levels = ask_levels(level_sizes)
    fills = walk(levels, qty, BUY, limit)
    total = sum(q for _, q in fills)
    assert total <= qty and total <= crossing_volume(levels, BUY, limit)
    seen = dict(levels)
    assert all(0 < q <= seen[px] for px, q in fills)
    assert total == min(qty, crossing_volume(levels, BUY, limit))


@given(sizes, st.lists(st.integers(1, 80), min_size=1, max_size=10))
def test_no_liquidity_is_filled_twice_while_the_book_is_unchanged(
        level_sizes: list[int], orders: list[int]) -> None:
    levels = ask_levels(level_sizes)
    consumed = ConsumedLiquidity()
    taken: dict[int, int] = {}
    for qty in orders:
        for px, q in walk(consumed.available(1, 2, levels), qty, BUY, None):
            consumed.take(1, 2, px, dict(levels)[px], q)
            taken[px] = taken.get(px, 0) + q
    for px, size in levels:
        assert taken.get(px, 0) <= size
    assert sum(taken.values()) == min(sum(orders), sum(level_sizes))


ahead_orders = st.lists(st.integers(1, 20), min_size=0, max_size=6)
events = st.lists(
    st.tuples(
        st.sampled_from([BookAction.ADD, BookAction.CANCEL, BookAction.MODIFY, BookAction.FILL,
                         BookAction.TRADE]),
        st.integers(1, 9),                        # order id (1..6 may be ahead)
        st.integers(0, 25),                       # size
        st.sampled_from([PX, PX, PX, PX - 25, PX + 25]),
    ),
    max_size=40,
)


@given(ahead_orders, events)
def test_l3_queue_position_never_goes_negative_nor_fills_before_the_volume_ahead_is_gone(
        sizes_ahead: list[int], stream: list[tuple[int, int, int, int]]) -> None:
    q = QueuePosition({i + 1: s for i, s in enumerate(sizes_ahead)})
    for action, oid, size, price in stream:
        before = q.volume_ahead
        got = q.on_delta(action, BUY, price, size, oid, BUY, PX)
        assert q.volume_ahead >= 0 and q.volume_ahead == sum(q.ahead.values())
        assert q.volume_ahead <= before
        if got:
            # filled only once nothing is ahead, or because the level was swept through
            assert before == 0 or got == SWEPT
            assert got == SWEPT or (action == BookAction.FILL and oid not in q.ahead)


@settings(max_examples=15)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=5),
       st.lists(st.integers(1, 12), min_size=1, max_size=4))
def test_market_orders_through_the_kernel_never_take_more_than_the_l2_book_showed(
        level_sizes: list[int], orders: list[int]) -> None:
    from domain.enums import BookLevel, OrderType
    from tests.unit.exchange_harness import Venue

    v = Venue(book_level=BookLevel.L2)
    v.delta(BookAction.ADD, OrderSide.BUY, 479975, 5, level=BookLevel.L2)
    for i, size in enumerate(level_sizes):
        v.delta(BookAction.ADD, OrderSide.SELL, 480000 + 25 * i, size, level=BookLevel.L2)
    taken: dict[int, int] = {}
    for qty in orders:
        coid = v.submit(OrderSide.BUY, OrderType.MARKET, qty)
        fills = v.fills(coid)
        assert sum(q for _, q, _ in fills) <= qty
        for px, q, _ in fills:
            taken[px] = taken.get(px, 0) + q
    for i, size in enumerate(level_sizes):
        assert taken.get(480000 + 25 * i, 0) <= size
    assert sum(taken.values()) == min(sum(orders), sum(level_sizes))
