"""The trailing-stop calculator (domain.trailing): offsets, grid rounding, favourable-only moves."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.enums import OrderSide, OrderType, TrailingOffsetType, TriggerType
from domain.orders import OrderSpec, OrderSpecError
from domain.schema import NULL_I64
from domain.trailing import distance_raw, level_raw, quote_basis, trade_basis, trail
from domain.values import Price, Quantity

BUY, SELL = int(OrderSide.BUY), int(OrderSide.SELL)
PRICE, BPS, TICKS = (int(TrailingOffsetType.PRICE), int(TrailingOffsetType.BASIS_POINTS),
                     int(TrailingOffsetType.TICKS))


def test_offsets_in_price_ticks_and_basis_points() -> None:
    assert distance_raw(PRICE, 30, 480000, 25) == 30
    assert distance_raw(TICKS, 4, 480000, 25) == 100
    assert distance_raw(BPS, 2500, 480000, 25) == 1200  # 25 bp of 4800.00 = 12.00
    assert distance_raw(BPS, 1, 480001, 1) == 1  # rounds up: never closer than asked
    with pytest.raises(ValueError, match="trailing_offset_type must be .* got 9"):
        distance_raw(9, 1, 1, 1)


def test_levels_round_away_from_the_market_onto_the_grid() -> None:
    assert level_raw(SELL, PRICE, 30, 480000, 25) == 479950  # 479970 -> down to the grid
    assert level_raw(BUY, PRICE, 30, 480000, 25) == 480050  # 480030 -> up to the grid
    assert level_raw(SELL, TICKS, 2, 480000, 25) == 479950


def test_trail_moves_a_sell_up_only_and_a_buy_down_only() -> None:
    assert trail(SELL, None, TICKS, 2, 480000, 25) == 479950
    assert trail(SELL, 479950, TICKS, 2, 480025, 25) == 479975
    assert trail(SELL, 479975, TICKS, 2, 479900, 25) is None
    assert trail(BUY, 480050, TICKS, 2, 479975, 25) == 480025
    assert trail(BUY, 480025, TICKS, 2, 480100, 25) is None


def test_basis_by_trigger_type() -> None:
    assert quote_basis(SELL, TriggerType.DEFAULT, 100, 104) == 100
    assert quote_basis(BUY, TriggerType.BID_ASK, 100, 104) == 104
    assert quote_basis(SELL, TriggerType.MID_POINT, 100, 105) == 102
    assert quote_basis(BUY, TriggerType.MID_POINT, 100, 105) == 103
    assert quote_basis(SELL, TriggerType.LAST_PRICE, 100, 104) is None
    assert quote_basis(SELL, TriggerType.BID_ASK, NULL_I64, 104) is None
    assert trade_basis(TriggerType.LAST_PRICE, 101) == 101
    assert trade_basis(TriggerType.BID_ASK, 101) is None


@given(
    side=st.sampled_from([BUY, SELL]),
    offset_type=st.sampled_from([PRICE, BPS, TICKS]),
    offset=st.integers(1, 5000),
    tick=st.sampled_from([1, 5, 25]),
    path=st.lists(st.integers(10_000, 20_000), min_size=1, max_size=60),
)
def test_a_trailing_level_only_ever_moves_in_the_favourable_direction(
    side: int, offset_type: int, offset: int, tick: int, path: list[int]
) -> None:
    level: int | None = None
    for basis in path:
        new = trail(side, level, offset_type, offset, basis, tick)
        if new is not None:
            if level is not None:
                assert (new < level) if side == BUY else (new > level)
            level = new
        assert level is not None and level % tick == 0
    # the level is the best the path has allowed (never given back)
    best = (min if side == BUY else max)(level_raw(side, offset_type, offset, b, tick)
                                         for b in path)
    assert level == best


def test_trailing_specs_need_their_offsets_and_refuse_them_on_other_types() -> None:
    q, p = Quantity.from_str("1"), Price.from_str("1.10")
    s = OrderSpec.trailing_stop_market(OrderSide.SELL, q, 5, trailing_offset_type=TICKS)
    assert s.is_trailing and s.trigger_price is None and s.price is None
    assert OrderSpec.trailing_stop_limit(OrderSide.BUY, q, 5, 2, price=p).price == p
    cases = [
        (dict(order_type=OrderType.TRAILING_STOP_MARKET), "trailing_offset must be > 0"),
        (dict(order_type=OrderType.TRAILING_STOP_LIMIT, trailing_offset=5),
         "limit_offset must be > 0 for TRAILING_STOP_LIMIT, got 0"),
        (dict(order_type=OrderType.TRAILING_STOP_MARKET, trailing_offset=5, limit_offset=1),
         "limit_offset must be 0 for TRAILING_STOP_MARKET, got 1"),
        (dict(order_type=OrderType.TRAILING_STOP_MARKET, trailing_offset=5, price=p),
         "price must be None for TRAILING_STOP_MARKET"),
        (dict(order_type=OrderType.LIMIT, price=p, trailing_offset=5),
         "trailing_offset and limit_offset must be 0 for LIMIT, got 5 and 0"),
    ]
    for kw, message in cases:
        with pytest.raises(OrderSpecError, match=message):
            OrderSpec(OrderSide.SELL, quantity=q, **kw)
