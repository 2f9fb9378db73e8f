"""Properties of fixed-point values, checked against Python's exact Decimal arithmetic."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.currencies import Currency
from domain.identifiers import ClientOrderId, InstrumentId
from domain.values import (
    MAX_PRECISION,
    FixedPointOverflow,
    InvalidValue,
    Money,
    Price,
    Quantity,
    pack_currency,
    unpack_currency,
)

I64_MIN, I64_MAX = -(2**63), 2**63 - 1

raws = st.integers(I64_MIN, I64_MAX)
precisions = st.integers(0, MAX_PRECISION)
prices = st.builds(Price, raws, precisions)
quantities = st.builds(Quantity, st.integers(0, I64_MAX), precisions)


def exact(value: Price | Quantity) -> Decimal:
    return Decimal(value.raw).scaleb(-value.precision)


def in_int64(raw: int) -> bool:
    return I64_MIN <= raw <= I64_MAX


@given(prices)
def test_str_round_trips(price: Price) -> None:
    back = Price.from_str(str(price))
    assert (back.raw, back.precision) == (price.raw, price.precision)


@given(prices)
def test_decimal_round_trips(price: Price) -> None:
    back = Price.from_decimal(price.as_decimal(), price.precision)
    assert (back.raw, back.precision) == (price.raw, price.precision)
    assert price.as_decimal() == exact(price)


@given(quantities)
def test_raw_round_trips_through_the_constructor(qty: Quantity) -> None:
    assert Quantity(qty.raw, qty.precision) == qty
    assert Quantity.from_str(str(qty), qty.precision).raw == qty.raw


@given(prices, prices)
def test_addition_and_subtraction_equal_decimal_or_overflow_exactly(a: Price, b: Price) -> None:
    p = max(a.precision, b.precision)
    with localcontext() as ctx:
        ctx.prec = 60
        for op, expected in (("+", exact(a) + exact(b)), ("-", exact(a) - exact(b))):
            raw = int(expected.scaleb(p))
            if in_int64(raw):
                result = a + b if op == "+" else a - b
                assert result.precision == p and exact(result) == expected
            else:
                with pytest.raises(FixedPointOverflow):
                    _ = a + b if op == "+" else a - b


@given(prices, st.integers(-(2**20), 2**20))
def test_multiplication_by_int_equals_decimal_or_overflows(a: Price, n: int) -> None:
    raw = a.raw * n
    if in_int64(raw):
        assert exact(a * n) == exact(a) * n
    else:
        with pytest.raises(FixedPointOverflow):
            _ = a * n


@given(prices, prices)
def test_ordering_equals_decimal_ordering(a: Price, b: Price) -> None:
    da, db = exact(a), exact(b)
    assert (a < b) == (da < db)
    assert (a <= b) == (da <= db)
    assert (a == b) == (da == db)
    assert (a > b) == (da > db)
    if a == b:
        assert hash(a) == hash(b)


@given(precisions, st.sampled_from([I64_MIN, I64_MAX]), st.integers(1, 3))
def test_overflow_is_detected_exactly_at_the_int64_bounds(p: int, bound: int, step: int) -> None:
    edge = Price(bound, p)
    inward = Price(-step if bound > 0 else step, p)
    outward = Price(step if bound > 0 else -step, p)
    assert (edge + inward).raw == bound + inward.raw
    with pytest.raises(FixedPointOverflow):
        _ = edge + outward
    with pytest.raises(FixedPointOverflow):
        _ = edge - inward


@given(quantities, quantities)
def test_quantity_subtraction_never_goes_negative(a: Quantity, b: Quantity) -> None:
    with localcontext() as ctx:
        ctx.prec = 60
        expected = exact(a) - exact(b)
        if expected < 0:
            with pytest.raises(InvalidValue, match="must not be negative"):
                _ = a - b
        elif in_int64(int(expected.scaleb(max(a.precision, b.precision)))):
            assert exact(a - b) == expected
        else:
            with pytest.raises(FixedPointOverflow):
                _ = a - b


@given(prices, precisions)
def test_to_precision_is_exact_or_refused(price: Price, p: int) -> None:
    with localcontext() as ctx:
        ctx.prec = 60
        scaled = exact(price).scaleb(p)
    if scaled != scaled.to_integral_value() or not in_int64(int(scaled)):
        with pytest.raises(InvalidValue):
            price.to_precision(p)
    else:
        assert exact(price.to_precision(p)) == exact(price)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9), precisions)
def test_from_float_is_within_half_a_unit(x: float, p: int) -> None:
    price = Price.from_float(x, p)
    assert abs(exact(price) - Decimal(x)) <= Decimal(5).scaleb(-p - 1)


@given(st.from_regex(r"[A-Z0-9]{1,4}", fullmatch=True))
def test_currency_codes_round_trip_through_the_u4(code: str) -> None:
    packed = pack_currency(code)
    assert 0 < packed < 2**32
    assert unpack_currency(packed) == code


@given(st.sampled_from(["USD", "JPY", "BTC", "KWD"]), raws)
def test_money_str_round_trips(code: str, raw: int) -> None:
    money = Money(raw, Currency.from_code(code))
    assert Money.from_str(str(money)) == money


@given(st.integers(0, 2**23 - 1), st.integers(0, 2**40 - 1))
def test_client_order_id_round_trips(strategy_index: int, counter: int) -> None:
    if strategy_index == counter == 0:
        return
    cid = ClientOrderId.of(strategy_index, counter)
    assert (cid.strategy_index, cid.counter) == (strategy_index, counter)
    assert ClientOrderId.from_str(str(cid)) == cid
    assert ClientOrderId(cid.value) == cid


@given(
    st.from_regex(r"[A-Za-z0-9/._-]{1,12}", fullmatch=True),
    st.from_regex(r"[A-Z0-9_-]{1,8}", fullmatch=True),
)
def test_instrument_id_round_trips(symbol: str, venue: str) -> None:
    iid = InstrumentId(symbol, venue)
    assert InstrumentId.from_str(str(iid)) == iid
