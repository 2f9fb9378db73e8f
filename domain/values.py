"""Fixed-point values: ``Price`` and ``Quantity`` (``Money`` is in :mod:`domain.money`).

Design contract:
- a value is an exact ``raw`` int64 and a ``precision`` (0..9): value = raw / 10**precision;
- construction never rounds silently: str / Decimal input that would lose a non-zero digit raises
  ``PrecisionError``; only ``from_float`` rounds (half-even, of the float's exact binary value);
- NaN, infinity, a negative ``Quantity`` and a raw outside int64 are refused with an error that
  names the value (and the field, when the caller gives one);
- ``+`` / ``-`` work at the larger precision of the two operands and raise ``FixedPointOverflow``
  at the int64 bounds; values of different precisions compare (and hash) by value;
- ``Money`` and ``CurrencyMismatch`` live in :mod:`domain.money`, re-exported here lazily.
"""

from __future__ import annotations

import math
import operator
import re
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Self

import attrs

if TYPE_CHECKING:
    from domain.money import CurrencyMismatch as CurrencyMismatch
    from domain.money import Money as Money

MAX_PRECISION = 9
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_set = object.__setattr__  # frozen attrs classes: __init__ writes the slots directly
_DECIMAL_RE = re.compile(r"([+-]?)(\d+)(?:\.(\d+))?")
_CURRENCY_RE = re.compile(r"[A-Z0-9]{1,4}")


class InvalidValue(ValueError):
    """A value that is not a finite number of the right kind (NaN, inf, negative quantity...)."""


class PrecisionError(InvalidValue):
    """A precision outside 0..9, or a conversion that would lose digits."""


class FixedPointOverflow(InvalidValue):
    """A raw value outside the int64 range."""


def _named(field: str) -> str:
    return f"{field} " if field else ""


def _check_precision(precision: int, field: str) -> int:
    if type(precision) is not int or not 0 <= precision <= MAX_PRECISION:
        raise PrecisionError(
            f"{_named(field)}precision must be an int in 0..{MAX_PRECISION}, got {precision!r}"
        )
    return precision


def _check_raw(raw: int, field: str, what: object) -> int:
    if not INT64_MIN <= raw <= INT64_MAX:
        raise FixedPointOverflow(f"{_named(field)}value {what} overflows int64 (raw {raw})")
    return raw


def _checked(raw: int, left: object, op: str, right: object) -> int:
    """Returns ``raw`` when it fits int64; else raises naming the operation (formatted lazily)."""
    if INT64_MIN <= raw <= INT64_MAX:
        return raw
    raise FixedPointOverflow(f"{left} {op} {right} overflows int64 (raw {raw})")


def _scale_exact(units: int, exponent: int, precision: int, field: str, text: object) -> int:
    """Returns ``units * 10**exponent`` as a raw at ``precision``, or raises if digits are lost."""
    shift = exponent + precision
    if shift >= 0:
        return units * 10**shift
    raw, lost = divmod(units, 10**-shift)
    if lost:
        raise PrecisionError(
            f"{_named(field)}value {text} has more decimals than precision {precision}"
        )
    return raw


def pack_currency(code: str) -> int:
    """Returns the u4 of a 1-4 character code ([A-Z0-9]) packed little-endian; "" packs to 0."""
    if code == "":
        return 0
    if not isinstance(code, str) or not _CURRENCY_RE.fullmatch(code):
        raise InvalidValue(f"currency code must be 1-4 of A-Z or 0-9, got {code!r}")
    return int.from_bytes(code.encode("ascii"), "little")


def unpack_currency(value: int) -> str:
    """Returns the code packed by :func:`pack_currency`; 0 unpacks to ""."""
    if value == 0:
        return ""
    if not 0 < value < 2**32:
        raise InvalidValue(f"packed currency must be a u4, got {value!r}")
    code = value.to_bytes(4, "little").rstrip(b"\x00").decode("ascii", errors="replace")
    if not _CURRENCY_RE.fullmatch(code):
        raise InvalidValue(f"packed currency {value:#x} does not hold a valid code ({code!r})")
    return code


def fixed_text(raw: int, precision: int) -> str:
    """Returns ``raw`` at ``precision`` decimals as exact text, every decimal shown ("1.50"):
    what ``str(Price(raw, precision))`` gives, without building the value (for bulk output)."""
    if precision == 0:
        return str(raw)
    whole, frac = divmod(abs(raw), 10**precision)
    sign = "-" if raw < 0 else ""
    return f"{sign}{whole}.{frac:0{precision}d}"


@attrs.frozen(init=False, eq=False, repr=False)
class _FixedPoint:
    """Shared implementation of Price and Quantity; ``raw`` int64 at ``precision`` decimals."""

    raw: int
    precision: int

    def __init__(self, raw: int, precision: int, field: str = "") -> None:
        if type(raw) is not int:
            if isinstance(raw, bool) or not hasattr(raw, "__index__"):
                raise InvalidValue(f"{_named(field)}raw must be an int, got {raw!r}")
            raw = operator.index(raw)
        if type(precision) is not int or not 0 <= precision <= MAX_PRECISION:
            _check_precision(precision, field)
        if not INT64_MIN <= raw <= INT64_MAX:
            _check_raw(raw, field, raw)
        if raw < 0:
            self._check_sign(raw, precision, field)
        _set(self, "raw", raw)
        _set(self, "precision", precision)

    @classmethod
    def _check_sign(cls, raw: int, precision: int, field: str) -> None:
        """Refuses values that are out of domain for the type (Quantity: negative)."""

    @classmethod
    def from_str(cls, text: str, precision: int | None = None, field: str = "") -> Self:
        """Parses ``[+-]digits[.digits]``; precision defaults to the number of decimals written."""
        match = _DECIMAL_RE.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise InvalidValue(f"{_named(field)}value {text!r} is not a finite decimal number")
        sign, whole, frac = match.group(1), match.group(2), match.group(3) or ""
        if precision is None:
            precision = len(frac)
            if precision > MAX_PRECISION:
                raise PrecisionError(
                    f"{_named(field)}value {text!r} has {precision} decimals, max {MAX_PRECISION}"
                )
        _check_precision(precision, field)
        units = int(whole + frac) * (-1 if sign == "-" else 1)
        raw = _scale_exact(units, -len(frac), precision, field, repr(text))
        return cls(_check_raw(raw, field, repr(text)), precision, field)

    @classmethod
    def from_decimal(cls, value: Decimal, precision: int, field: str = "") -> Self:
        """Returns the exact value of a finite Decimal at ``precision``; lost digits raise."""
        _check_precision(precision, field)
        if not isinstance(value, Decimal) or not value.is_finite():
            raise InvalidValue(f"{_named(field)}value {value!r} is not a finite Decimal")
        sign, digits, exponent = value.as_tuple()
        units = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
        raw = _scale_exact(units, int(exponent), precision, field, value)
        return cls(_check_raw(raw, field, value), precision, field)

    @classmethod
    def from_int(cls, value: int, precision: int = 0, field: str = "") -> Self:
        """Returns the integer ``value`` at ``precision``."""
        _check_precision(precision, field)
        if type(value) is not int:
            raise InvalidValue(f"{_named(field)}value {value!r} is not an int")
        return cls(_check_raw(value * 10**precision, field, value), precision, field)

    @classmethod
    def from_float(cls, value: float, precision: int, field: str = "") -> Self:
        """Rounds the float's exact binary value half-even to ``precision`` (like ``round``)."""
        _check_precision(precision, field)
        if type(value) not in (int, float) or not math.isfinite(value):
            raise InvalidValue(f"{_named(field)}value {value!r} is not a finite float")
        raw = round(Fraction(value) * 10**precision)
        return cls(_check_raw(raw, field, value), precision, field)

    def raw_at(self, precision: int) -> int:
        """Returns the raw value at another precision; raises if digits would be lost or overflow."""
        _check_precision(precision, "")
        raw = _scale_exact(self.raw, -self.precision, precision, "", self)
        return _check_raw(raw, "", self)

    def to_precision(self, precision: int) -> Self:
        """Returns the same value at ``precision``: widening is exact, lossy narrowing raises."""
        return type(self)(self.raw_at(precision), precision)

    def as_decimal(self) -> Decimal:
        """Returns the exact value as a Decimal with ``precision`` decimals."""
        return Decimal(self.raw).scaleb(-self.precision)

    def as_double(self) -> float:
        """Returns the nearest float to the exact value."""
        return self.raw / 10**self.precision

    __float__ = as_double

    def __str__(self) -> str:
        return fixed_text(self.raw, self.precision)

    def __repr__(self) -> str:
        return f"{type(self).__name__}('{self}')"

    # Comparison by value: both raws brought to the larger precision (exact in Python ints).
    def _aligned(self, other: Any) -> tuple[int, int, int] | None:
        if type(other) is not type(self):
            return None
        p = max(self.precision, other.precision)
        a = self.raw * 10 ** (p - self.precision)
        return a, other.raw * 10 ** (p - other.precision), p

    def __eq__(self, other: object) -> bool:
        pair = self._aligned(other)
        return NotImplemented if pair is None else pair[0] == pair[1]

    def __hash__(self) -> int:
        raw, precision = self.raw, self.precision
        while precision and raw % 10 == 0:  # equal values at other precisions hash alike
            raw, precision = raw // 10, precision - 1
        return hash((type(self).__name__, raw, precision))

    def __lt__(self, other: Any) -> bool:
        pair = self._aligned(other)
        return NotImplemented if pair is None else pair[0] < pair[1]

    def __le__(self, other: Any) -> bool:
        pair = self._aligned(other)
        return NotImplemented if pair is None else pair[0] <= pair[1]

    def __gt__(self, other: Any) -> bool:
        pair = self._aligned(other)
        return NotImplemented if pair is None else pair[0] > pair[1]

    def __ge__(self, other: Any) -> bool:
        pair = self._aligned(other)
        return NotImplemented if pair is None else pair[0] >= pair[1]

    def __add__(self, other: Any) -> Self:
        pair = self._aligned(other)
        if pair is None:
            return NotImplemented
        return type(self)(_checked(pair[0] + pair[1], self, "+", other), pair[2])

    def __sub__(self, other: Any) -> Self:
        pair = self._aligned(other)
        if pair is None:
            return NotImplemented
        raw = pair[0] - pair[1]
        if raw < 0 and type(self) is Quantity:
            raise InvalidValue(f"quantity {self} - {other} must not be negative")
        return type(self)(_checked(raw, self, "-", other), pair[2])

    def __mul__(self, factor: Any) -> Self:
        if type(factor) is not int:
            return NotImplemented
        raw = self.raw * factor
        if raw < 0 and type(self) is Quantity:
            raise InvalidValue(f"quantity {self} * {factor} must not be negative")
        return type(self)(_checked(raw, self, "*", factor), self.precision)

    __rmul__ = __mul__


@attrs.frozen(init=False, eq=False, repr=False)
class Price(_FixedPoint):
    """A price: int64 ``raw`` at ``precision`` decimals; may be negative (spreads, some futures)."""

    def __neg__(self) -> Price:
        return Price(_checked(-self.raw, "", "-", self), self.precision)


@attrs.frozen(init=False, eq=False, repr=False)
class Quantity(_FixedPoint):
    """A non-negative quantity: int64 ``raw`` at ``precision`` decimals."""

    @classmethod
    def _check_sign(cls, raw: int, precision: int, field: str) -> None:
        if raw < 0:
            value = Decimal(raw).scaleb(-precision)
            raise InvalidValue(f"{field or 'quantity'} must not be negative, got {value}")

    def is_zero(self) -> bool:
        """Returns True when the quantity is exactly zero."""
        return self.raw == 0


def __getattr__(name: str) -> Any:
    """Returns ``Money`` / ``CurrencyMismatch`` of :mod:`domain.money` (lazy: it imports us)."""
    if name in ("Money", "CurrencyMismatch"):
        from domain import money

        globals()[name] = value = getattr(money, name)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
