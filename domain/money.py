"""Amounts of money: ``Money`` (int64 ``raw`` at its currency's precision) and its errors.

Design contract:
- a ``Money`` always has its currency's precision; its raw is an int64 and may be negative;
- construction never rounds silently (``from_str`` / ``from_decimal`` raise on lost digits);
- ``+`` / ``-`` / ``*`` / ordering between different currencies raise ``CurrencyMismatch``;
  overflow past int64 raises ``FixedPointOverflow``;
- ``domain.values`` re-exports ``Money`` and ``CurrencyMismatch`` (lazily, to break the cycle
  values <- currencies <- money).
"""

from __future__ import annotations

import operator
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from domain.currencies import Currency
from domain.values import (
    INT64_MAX,
    INT64_MIN,
    InvalidValue,
    Price,
    _check_raw,
    _checked,
    _named,
    _set,
)


class CurrencyMismatch(InvalidValue):
    """Arithmetic or ordering between amounts of different currencies."""


@attrs.frozen(init=False, eq=False, repr=False)
class Money:
    """An amount in a currency: int64 ``raw`` at the currency's precision; may be negative."""

    raw: int
    currency: Currency

    def __init__(self, raw: int, currency: Currency, field: str = "") -> None:
        if type(raw) is not int:
            if isinstance(raw, bool) or not hasattr(raw, "__index__"):
                raise InvalidValue(f"{_named(field)}raw must be an int, got {raw!r}")
            raw = operator.index(raw)
        if not INT64_MIN <= raw <= INT64_MAX:
            _check_raw(raw, field, f"{raw} (raw) {currency.code}")
        _set(self, "raw", raw)
        _set(self, "currency", currency)

    @property
    def precision(self) -> int:
        """The currency's precision."""
        return self.currency.precision

    @classmethod
    def from_str(cls, text: str, field: str = "") -> Money:
        """Parses ``"<amount> <CODE>"``, e.g. ``"100.50 USD"``; the amount must fit the currency."""
        parts = text.split() if isinstance(text, str) else []
        if len(parts) != 2:
            raise InvalidValue(f"{_named(field)}money {text!r} is not '<amount> <CURRENCY>'")
        currency = Currency.from_code(parts[1])
        price = Price.from_str(parts[0], currency.precision, field)
        return cls(price.raw, currency, field)

    @classmethod
    def from_decimal(cls, value: Decimal, currency: Currency, field: str = "") -> Money:
        """Returns the exact amount of a finite Decimal; digits beyond the currency's raise."""
        return cls(Price.from_decimal(value, currency.precision, field).raw, currency, field)

    def as_decimal(self) -> Decimal:
        """Returns the exact amount as a Decimal."""
        return Decimal(self.raw).scaleb(-self.currency.precision)

    def as_double(self) -> float:
        """Returns the nearest float to the amount."""
        return self.raw / 10**self.currency.precision

    __float__ = as_double

    def __str__(self) -> str:
        return f"{Price(self.raw, self.currency.precision)} {self.currency.code}"

    def __repr__(self) -> str:
        return f"Money('{self}')"

    def _other_raw(self, other: Any, op: str) -> int | None:
        if type(other) is not Money:
            return None
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot {op} {self} and {other}: currencies differ")
        return other.raw

    def __eq__(self, other: object) -> bool:
        if type(other) is not Money:
            return NotImplemented
        return self.currency == other.currency and self.raw == other.raw

    def __hash__(self) -> int:
        return hash((self.raw, self.currency))

    def __lt__(self, other: Any) -> bool:
        raw = self._other_raw(other, "compare")
        return NotImplemented if raw is None else self.raw < raw

    def __le__(self, other: Any) -> bool:
        raw = self._other_raw(other, "compare")
        return NotImplemented if raw is None else self.raw <= raw

    def __gt__(self, other: Any) -> bool:
        raw = self._other_raw(other, "compare")
        return NotImplemented if raw is None else self.raw > raw

    def __ge__(self, other: Any) -> bool:
        raw = self._other_raw(other, "compare")
        return NotImplemented if raw is None else self.raw >= raw

    def __add__(self, other: Any) -> Money:
        raw = self._other_raw(other, "add")
        if raw is None:
            return NotImplemented
        return Money(_checked(self.raw + raw, self, "+", other), self.currency)

    def __sub__(self, other: Any) -> Money:
        raw = self._other_raw(other, "subtract")
        if raw is None:
            return NotImplemented
        return Money(_checked(self.raw - raw, self, "-", other), self.currency)

    def __mul__(self, factor: Any) -> Money:
        if type(factor) is not int:
            return NotImplemented
        return Money(_checked(self.raw * factor, self, "*", factor), self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(_checked(-self.raw, "", "-", self), self.currency)


def convert_raw(amount_raw: int, from_currency: Currency, to_currency: Currency,
                rate: float) -> int:
    """Returns ``amount_raw`` (at ``from_currency``'s precision) times ``rate`` (units of
    ``to_currency`` per unit of ``from_currency``; its exact binary value), in raw units of
    ``to_currency``, rounded half away from zero once."""
    shift = to_currency.precision - from_currency.precision
    exact = Fraction(amount_raw) * Fraction(rate) * Fraction(10) ** shift
    magnitude = int(abs(exact) + Fraction(1, 2))
    return magnitude if exact >= 0 else -magnitude
