"""Unit tests for fixed-point values and currencies."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from domain.currencies import BTC, EUR, JPY, USD, Currency, UnknownCurrency
from domain.values import (
    MAX_PRECISION,
    CurrencyMismatch,
    FixedPointOverflow,
    InvalidValue,
    Money,
    PrecisionError,
    Price,
    Quantity,
    pack_currency,
    unpack_currency,
)

I64_MAX = 2**63 - 1


# --- construction -------------------------------------------------------------------------


def test_from_str_takes_precision_from_the_decimals_written() -> None:
    price = Price.from_str("1.2345")
    assert (price.raw, price.precision) == (12345, 4)


def test_from_str_with_explicit_precision_widens_exactly() -> None:
    price = Price.from_str("1.2", precision=4)
    assert (price.raw, price.precision) == (12000, 4)
    assert str(price) == "1.2000"


def test_from_str_accepts_sign_and_integers() -> None:
    assert Price.from_str("-0.5").raw == -5
    assert Price.from_str("+7") == Price.from_int(7)


def test_from_str_with_trailing_zeros_beyond_precision_is_exact_and_accepted() -> None:
    assert Price.from_str("1.2300", precision=2).raw == 123


def test_from_decimal_keeps_the_exact_value() -> None:
    assert Price.from_decimal(Decimal("101.25"), 3).raw == 101250
    assert Quantity.from_decimal(Decimal("1E+2"), 1).raw == 1000


def test_from_int_scales_to_the_precision() -> None:
    assert Quantity.from_int(5, precision=3) == Quantity(5000, 3)
    assert Price.from_int(5).precision == 0


def test_from_float_rounds_half_even_of_the_binary_value() -> None:
    assert Price.from_float(0.125, 2).raw == 12  # exact tie: to even
    assert Price.from_float(0.375, 2).raw == 38
    assert Price.from_float(0.1 + 0.2, 2).raw == 30
    assert Price.from_float(-1.5, 0).raw == -2


def test_constructor_accepts_numpy_integers() -> None:
    assert Price(np.int64(42), 2).raw == 42
    assert type(Price(np.int64(42), 2).raw) is int


# --- refusals name the value --------------------------------------------------------------


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_from_float_refuses_nan_and_infinity(bad: float) -> None:
    with pytest.raises(InvalidValue, match=str(bad)):
        Price.from_float(bad, 2, field="bid")


def test_error_message_names_the_field_when_given() -> None:
    with pytest.raises(InvalidValue, match=r"^ask value nan"):
        Price.from_float(float("nan"), 2, field="ask")


@pytest.mark.parametrize("text", ["nan", "inf", "1e5", "", "1.", ".5", "1,0", " 1", "0x10"])
def test_from_str_refuses_non_decimal_text(text: str) -> None:
    with pytest.raises(InvalidValue, match=repr(text)):
        Price.from_str(text)


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_from_decimal_refuses_non_finite(bad: Decimal) -> None:
    with pytest.raises(InvalidValue, match="not a finite Decimal"):
        Price.from_decimal(bad, 2)


def test_excess_precision_is_refused_not_rounded() -> None:
    with pytest.raises(PrecisionError, match=r"'1\.235'.*precision 2"):
        Price.from_str("1.235", precision=2)
    with pytest.raises(PrecisionError, match=r"1\.235"):
        Price.from_decimal(Decimal("1.235"), 2)


def test_more_than_nine_decimals_is_refused() -> None:
    with pytest.raises(PrecisionError, match="0.0000000001"):
        Price.from_str("0.0000000001")
    with pytest.raises(PrecisionError, match="10"):
        Price(1, MAX_PRECISION + 1)


def test_negative_quantity_is_refused_with_the_value() -> None:
    with pytest.raises(InvalidValue, match=r"last_qty must not be negative, got -1\.5"):
        Quantity.from_str("-1.5", field="last_qty")
    with pytest.raises(InvalidValue, match="-3"):
        Quantity(-3, 0)


def test_raw_outside_int64_is_refused() -> None:
    Price(I64_MAX, 0)
    Price(-(2**63), 0)
    with pytest.raises(FixedPointOverflow, match=str(2**63)):
        Price(2**63, 0)
    with pytest.raises(FixedPointOverflow, match="99999999999"):
        Price.from_str("99999999999.000000000")


@pytest.mark.parametrize("bad", [1.0, "1", True, None])
def test_raw_must_be_an_int(bad: object) -> None:
    with pytest.raises(InvalidValue, match=repr(bad)):
        Price(bad, 2)  # type: ignore[arg-type]


# --- conversions and text ----------------------------------------------------------------


def test_str_and_repr_show_fixed_decimals() -> None:
    assert str(Price(12300, 4)) == "1.2300"
    assert str(Price(-5, 3)) == "-0.005"
    assert repr(Quantity(7, 0)) == "Quantity('7')"


def test_as_decimal_and_as_double() -> None:
    price = Price(-12345, 3)
    assert price.as_decimal() == Decimal("-12.345")
    assert price.as_double() == float(price) == -12.345


def test_raw_at_and_to_precision_are_exact_or_raise() -> None:
    price = Price(12340, 4)
    assert price.raw_at(6) == 1234000
    assert price.raw_at(3) == 1234
    assert price.to_precision(3) == Price(1234, 3)
    with pytest.raises(PrecisionError, match=r"1\.2340.*precision 2"):
        price.to_precision(2)
    with pytest.raises(FixedPointOverflow):
        Price(I64_MAX, 0).raw_at(1)


# --- arithmetic and comparison ------------------------------------------------------------


def test_addition_uses_the_larger_precision() -> None:
    total = Price(12, 1) + Price(5, 3)
    assert (total.raw, total.precision) == (1205, 3)


def test_subtraction_of_prices_may_go_negative() -> None:
    assert Price(1, 0) - Price(3, 0) == Price(-2, 0)


def test_quantity_subtraction_below_zero_raises() -> None:
    with pytest.raises(InvalidValue, match="1 - 2"):
        Quantity(1, 0) - Quantity(2, 0)


def test_multiplication_by_int_on_either_side() -> None:
    assert Quantity(15, 1) * 3 == Quantity(45, 1)
    assert 3 * Quantity(15, 1) == Quantity(45, 1)
    with pytest.raises(TypeError):
        Price(1, 0) * 1.5  # type: ignore[operator]
    with pytest.raises(InvalidValue, match="must not be negative"):
        Quantity(1, 0) * -1


def test_overflow_in_arithmetic_raises() -> None:
    with pytest.raises(FixedPointOverflow, match=r"9223372036854775807 \+ 1"):
        Price(I64_MAX, 0) + Price(1, 0)
    with pytest.raises(FixedPointOverflow):
        Price(-(2**63), 0) - Price(1, 0)
    with pytest.raises(FixedPointOverflow):
        Price(2**62, 0) * 2


def test_different_precisions_compare_and_hash_by_value() -> None:
    assert Price(100, 2) == Price(1000, 3)
    assert hash(Price(100, 2)) == hash(Price(1000, 3))
    assert Price(100, 2) < Price(1001, 3)
    assert Price(100, 2) >= Price(1, 0)
    assert len({Price(1, 0), Price(10, 1), Price(100, 2)}) == 1


def test_price_and_quantity_do_not_mix() -> None:
    assert Price(1, 0) != Quantity(1, 0)
    with pytest.raises(TypeError):
        Price(1, 0) + Quantity(1, 0)  # type: ignore[operator]
    with pytest.raises(TypeError):
        assert Price(1, 0) < Quantity(1, 0)  # type: ignore[operator]


def test_quantity_is_zero() -> None:
    assert Quantity(0, 5).is_zero()
    assert not Quantity(1, 5).is_zero()


# --- money and currencies -----------------------------------------------------------------


def test_money_from_str_parses_amount_and_code() -> None:
    money = Money.from_str("100.5 USD")
    assert (money.raw, money.currency, money.precision) == (10050, USD, 2)
    assert str(money) == "100.50 USD"
    assert str(Money.from_str("-3 JPY")) == "-3 JPY"


def test_money_refuses_more_decimals_than_its_currency() -> None:
    with pytest.raises(PrecisionError, match="1.5"):
        Money.from_str("1.5 JPY")
    with pytest.raises(PrecisionError, match=r"0\.001"):
        Money.from_decimal(Decimal("0.001"), USD)


def test_money_refuses_bad_text_and_unknown_currency() -> None:
    with pytest.raises(InvalidValue, match="'100'"):
        Money.from_str("100")
    with pytest.raises(UnknownCurrency, match="'XYZ'"):
        Money.from_str("1 XYZ")


def test_money_arithmetic_and_mismatch() -> None:
    a, b = Money.from_str("1.25 USD"), Money.from_str("0.75 USD")
    assert a + b == Money(200, USD)
    assert b - a == Money(-50, USD)
    assert -a == Money(-125, USD)
    assert a * 2 == Money(250, USD)
    assert b < a
    assert Money(1, USD) != Money(1, EUR)
    with pytest.raises(CurrencyMismatch, match="USD.*EUR"):
        a + Money(1, EUR)
    with pytest.raises(CurrencyMismatch):
        assert a < Money(1, EUR)


def test_currency_table_has_iso_minor_units_and_crypto() -> None:
    assert Currency.from_code("JPY") == JPY and JPY.precision == 0
    assert Currency.from_code("USD").precision == 2
    assert Currency.from_code("KWD").precision == 3
    assert BTC.precision == 8 and Currency.from_code("USDT").precision == 8


def test_unknown_currency_names_the_code() -> None:
    with pytest.raises(UnknownCurrency, match="'QQQ'"):
        Currency.from_code("QQQ")


def test_register_adds_a_currency_and_refuses_a_conflicting_precision() -> None:
    custom = Currency.register("ZZT1", 4, "test token")
    assert Currency.from_code("ZZT1") is custom
    assert Currency.register("ZZT1", 4) is custom
    with pytest.raises(PrecisionError, match="ZZT1.*4.*got 2"):
        Currency.register("ZZT1", 2)
    with pytest.raises(PrecisionError, match="USD"):
        Currency.register("USD", 3)


def test_currency_codes_pack_into_a_u4_and_back() -> None:
    assert pack_currency("") == 0 and unpack_currency(0) == ""
    assert pack_currency("USD") == int.from_bytes(b"USD\x00", "little")
    assert unpack_currency(USD.packed) == "USD"
    assert Currency.from_packed(pack_currency("USDT")) is Currency.from_code("USDT")


@pytest.mark.parametrize("code", ["usd", "TOOLONG", "US D", "É"])
def test_pack_currency_refuses_bad_codes(code: str) -> None:
    with pytest.raises(InvalidValue, match=repr(code)):
        pack_currency(code)


def test_unpack_currency_refuses_garbage() -> None:
    with pytest.raises(InvalidValue, match="0x2d2d"):
        unpack_currency(int.from_bytes(b"--", "little"))
    with pytest.raises(InvalidValue, match=str(2**32)):
        unpack_currency(2**32)
