"""Fee models: the commission of one fill.

Design contract:
- a :class:`FeeModel` returns ``(commission_raw, currency)`` for a fill: the raw amount at the
  currency's precision (positive = paid, negative = rebate) and the packed currency code;
- :class:`InstrumentRates` (the default) charges ``notional * rate`` with the instrument's
  ``maker_fee`` / ``taker_fee``, in its settlement currency; the notional is taken exactly (a
  fraction, never a float) and the product is rounded half-even once, so runs agree to the unit.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Protocol

from domain.enums import LiquiditySide
from domain.instruments import Instrument
from domain.values import pack_currency


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
    """The default fee model: the instrument's maker / taker rate times the exact notional."""

    def commission(
        self, instrument: Instrument, liquidity_side: LiquiditySide, qty_raw: int, price_raw: int
    ) -> tuple[int, int]:
        """Returns ``round_half_even(notional * rate)`` in the settlement currency."""
        rate = instrument.maker_fee if liquidity_side == LiquiditySide.MAKER else instrument.taker_fee
        amount = exact_notional(instrument, qty_raw, price_raw) * Fraction(Decimal(repr(rate)))
        return round(amount), pack_currency(instrument.settlement_currency.code)
