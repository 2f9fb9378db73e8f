"""Fee models: the commission of one fill.

Design contract:
- a :class:`FeeModel` returns ``(commission_raw, currency)`` for a fill: the raw amount at the
  currency's precision (positive = paid, negative = rebate) and the packed currency code;
- :class:`InstrumentRates` (the default) charges ``notional * rate`` with the instrument's
  ``maker_fee`` / ``taker_fee``, in its settlement currency; the notional is taken exactly (a
  fraction, never a float) and the product is rounded once, by the venue's
  :class:`FeeRounding` mode: half away from zero by default (as NautilusTrader's ``Money``
  rounds a commission), or half to even; runs agree to the unit.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Protocol

from domain.enums import LiquiditySide
from domain.instruments import Instrument
from domain.values import pack_currency

_MAKER = LiquiditySide.MAKER  # a module constant: read per fill (enum attribute ~0.3 µs)


class FeeRounding(StrEnum):
    """How a commission is rounded to its currency's precision (a venue setting)."""

    #: Ties go away from zero: 0.5 -> 1, -0.5 -> -1 (NautilusTrader's ``Money``; the default).
    HALF_AWAY_FROM_ZERO = "HALF_AWAY_FROM_ZERO"
    #: Ties go to the even neighbour: 0.5 -> 0, 1.5 -> 2 (banker's rounding).
    HALF_EVEN = "HALF_EVEN"


class FeeModel(Protocol):
    """Prices one fill; must be a pure function of its arguments."""

    def commission(
        self, instrument: Instrument, liquidity_side: LiquiditySide, qty_raw: int, price_raw: int
    ) -> tuple[int, int]:
        """Returns (commission raw at the currency precision, packed currency code)."""
        ...


def exact_notional(instrument: Instrument, qty_raw: int, price_raw: int) -> Fraction:
    """Returns the notional in settlement-currency raw units as an exact fraction."""
    sp, pp = instrument.size_precision, instrument.price_precision
    cp = instrument.settlement_currency.precision
    mult = instrument.multiplier.raw
    if instrument.is_inverse:
        if price_raw <= 0:
            raise ValueError(f"{instrument.id}: inverse notional needs price > 0, got raw {price_raw}")
        return Fraction(qty_raw * mult * 10 ** (pp + cp), price_raw * 10 ** (2 * sp))
    return Fraction(qty_raw * price_raw * mult * 10**cp, 10 ** (2 * sp + pp))


class InstrumentRates:
    """The default fee model: the instrument's maker / taker rate times the exact notional.

    Per instrument it keeps the integer factors of ``notional * rate`` (numerator and
    denominator per liquidity side) and the packed currency, so a fill costs two integer
    products and one rounding instead of Fraction arithmetic (perf/backtest_run.py).
    ``rounding`` is a :class:`FeeRounding` (or its name).
    """

    def __init__(self, rounding: FeeRounding | str = FeeRounding.HALF_AWAY_FROM_ZERO) -> None:
        try:
            self.rounding = FeeRounding(rounding)
        except ValueError:
            raise ValueError(
                f"fee rounding must be one of {[m.value for m in FeeRounding]}, got {rounding!r}"
            ) from None
        self._round = (_round_half_even if self.rounding is FeeRounding.HALF_EVEN
                       else _round_half_away)
        self._terms: dict[int, tuple[Instrument, tuple[int, int, int, int], int]] = {}

    def commission(
        self, instrument: Instrument, liquidity_side: LiquiditySide, qty_raw: int, price_raw: int
    ) -> tuple[int, int]:
        """Returns ``notional * rate`` rounded by ``rounding``, in the settlement currency."""
        # Keyed by object identity, checked with ``is``: an instrument is an immutable value.
        entry = self._terms.get(id(instrument))
        if entry is None or entry[0] is not instrument:
            entry = self._terms[id(instrument)] = (
                instrument, _rate_terms(instrument), pack_currency(instrument.settlement_currency.code))
        maker_num, maker_den, taker_num, taker_den = entry[1]
        if liquidity_side == _MAKER:
            rate_num, rate_den = maker_num, maker_den
        else:
            rate_num, rate_den = taker_num, taker_den
        if instrument.is_inverse:
            if price_raw <= 0:
                raise ValueError(
                    f"{instrument.id}: inverse notional needs price > 0, got raw {price_raw}")
            num = qty_raw * rate_num
            den = price_raw * rate_den
        else:
            num = qty_raw * price_raw * rate_num
            den = rate_den
        return self._round(num, den), entry[2]


def _rate_terms(instrument: Instrument) -> tuple[int, int, int, int]:
    """Returns (maker num, maker den, taker num, taker den) with ``price_raw`` (inverse: its
    reciprocal) and ``qty_raw`` factored out of :func:`exact_notional` times the rate."""
    sp, pp = instrument.size_precision, instrument.price_precision
    cp = instrument.settlement_currency.precision
    mult = instrument.multiplier.raw
    if instrument.is_inverse:
        base_num, base_den = mult * 10 ** (pp + cp), 10 ** (2 * sp)
    else:
        base_num, base_den = mult * 10**cp, 10 ** (2 * sp + pp)
    out: list[int] = []
    for rate in (instrument.maker_fee, instrument.taker_fee):
        r = Fraction(Decimal(repr(rate)))
        out += [base_num * r.numerator, base_den * r.denominator]
    return out[0], out[1], out[2], out[3]


def _round_half_even(num: int, den: int) -> int:
    """Returns ``num / den`` rounded half to even (as ``round(Fraction(num, den))``)."""
    if den < 0:
        num, den = -num, -den
    q, r = divmod(num, den)
    twice = 2 * r
    if twice < den or (twice == den and q % 2 == 0):
        return q
    return q + 1


def _round_half_away(num: int, den: int) -> int:
    """Returns ``num / den`` rounded half away from zero."""
    if den < 0:
        num, den = -num, -den
    q, r = divmod(abs(num), den)
    if 2 * r >= den:
        q += 1
    return q if num >= 0 else -q
