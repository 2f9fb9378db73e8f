"""Instruments: what is traded, its precisions, grids, currencies, fees and margin rates.

Design contract:
- an :class:`Instrument` is an immutable value, checked at construction: tick and lot sizes are
  positive and at the instrument's precisions, the multiplier is positive, rates are finite;
- the money maths works on raw ints (prices at ``price_precision``, quantities at
  ``size_precision``, money at the settlement currency's precision) and rounds half away from
  zero exactly once per amount, so two runs agree to the last unit;
- a linear instrument's notional is ``qty * price * multiplier`` in the quote currency; an inverse
  instrument's is ``qty * multiplier / price`` in the base currency (its settlement currency);
- :meth:`Instrument.to_fields` / :meth:`Instrument.from_fields` map to and from the raw fields of
  an ``INSTRUMENT`` record, named exactly as in :mod:`domain.kinds`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from domain.currencies import Currency
from domain.enums import InstrumentClass, OrderSide
from domain.identifiers import InstrumentId
from domain.values import Money, Price, Quantity, pack_currency, unpack_currency

_BUY = int(OrderSide.BUY)


class InstrumentError(ValueError):
    """An instrument definition that breaks a structural rule; the message names the field."""


def div_round(num: int, den: int) -> int:
    """Returns ``num / den`` rounded half away from zero (``den > 0``); exact on Python ints."""
    q, r = divmod(abs(num), den)
    if 2 * r >= den:
        q += 1
    return q if num >= 0 else -q


def _to_price(x: Price | str | float | int | Decimal, precision: int, field: str) -> Price:
    if isinstance(x, Price):
        # a Price is immutable: one at the precision already is its own conversion
        return x if x.precision == precision and type(x) is Price else x.to_precision(precision)
    if isinstance(x, str):
        return Price.from_str(x, precision, field)
    if isinstance(x, Decimal):
        return Price.from_decimal(x, precision, field)
    if isinstance(x, int):
        return Price.from_int(x, precision, field)
    return Price.from_float(x, precision, field)


#: The last int quantity made (value, precision, Quantity): a strategy trades one size over and
#: over, and Quantity's checked constructor is most of ``make_qty`` (perf/backtest_run.py
#: ``ema_cross``). Quantities are immutable, so handing out the same one is safe.
_last_int_qty: tuple[int, int, Quantity] = (0, 0, Quantity(0, 0))


def _to_qty(x: Quantity | str | float | int | Decimal, precision: int, field: str) -> Quantity:
    global _last_int_qty
    if type(x) is int:
        value, at, qty = _last_int_qty
        if x == value and precision == at:
            return qty
        qty = Quantity.from_int(x, precision, field)  # raises, naming the field
        _last_int_qty = (x, precision, qty)
        return qty
    if isinstance(x, Quantity):
        # Already at the precision (a position's quantity when it is closed): x is the result.
        return x if x.precision == precision else x.to_precision(precision)
    if isinstance(x, str):
        return Quantity.from_str(x, precision, field)
    if isinstance(x, Decimal):
        return Quantity.from_decimal(x, precision, field)
    if isinstance(x, int):
        return Quantity.from_int(x, precision, field)
    return Quantity.from_float(x, precision, field)


@attrs.frozen
class Instrument:
    """A tradable instrument. Build one with a factory (``fx_pair``, ``equity``, ...)."""

    id: InstrumentId
    instrument_class: InstrumentClass
    price_precision: int
    size_precision: int
    tick_size: Price
    lot_size: Quantity
    multiplier: Quantity
    base_currency: Currency | None
    quote_currency: Currency
    settlement_currency: Currency
    maker_fee: float = 0.0
    taker_fee: float = 0.0
    margin_init: float = 0.0
    margin_maint: float = 0.0
    is_inverse: bool = False
    expiration_ns: int = 0
    min_quantity: Quantity | None = None
    max_quantity: Quantity | None = None
    # Scale factors of notional_raw, derived once (the per-fill hot path).
    _scale_num: int = attrs.field(init=False, default=0, eq=False, repr=False)
    _scale_den: int = attrs.field(init=False, default=1, eq=False, repr=False)
    #: The settlement currency's packed code, as records and account balances key it.
    settlement_code: int = attrs.field(init=False, default=0, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self._check()
        sp, pp = self.size_precision, self.price_precision
        cp = self.settlement_currency.precision
        if self.is_inverse:
            num, den = self.multiplier.raw * 10 ** (pp + cp), 10 ** (2 * sp)
        else:
            num, den = self.multiplier.raw * 10**cp, 10 ** (2 * sp + pp)
        object.__setattr__(self, "_scale_num", num)
        object.__setattr__(self, "_scale_den", den)
        object.__setattr__(self, "settlement_code", self.settlement_currency.packed)

    def _check(self) -> None:
        sym = str(self.id)
        if self.tick_size.precision != self.price_precision or self.tick_size.raw <= 0:
            raise InstrumentError(
                f"{sym}: tick_size must be positive at price_precision {self.price_precision}, "
                f"got {self.tick_size!r}"
            )
        if self.lot_size.precision != self.size_precision or self.lot_size.raw <= 0:
            raise InstrumentError(
                f"{sym}: lot_size must be positive at size_precision {self.size_precision}, "
                f"got {self.lot_size!r}"
            )
        if self.multiplier.precision != self.size_precision or self.multiplier.raw <= 0:
            raise InstrumentError(
                f"{sym}: multiplier must be positive at size_precision {self.size_precision}, "
                f"got {self.multiplier!r}"
            )
        for name in ("maker_fee", "taker_fee", "margin_init", "margin_maint"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise InstrumentError(f"{sym}: {name} must be finite, got {value!r}")
        if self.is_inverse and self.base_currency is None:
            raise InstrumentError(f"{sym}: an inverse instrument needs a base_currency")
        for name in ("min_quantity", "max_quantity"):
            q = getattr(self, name)
            if q is not None and q.precision != self.size_precision:
                raise InstrumentError(
                    f"{sym}: {name} must be at size_precision {self.size_precision}, got {q!r}"
                )

    # --- factories --------------------------------------------------------------------------
    @classmethod
    def fx_pair(
        cls, symbol: str, *, price_precision: int = 5, size_precision: int = 0,
        maker_fee: float = 0.00002, taker_fee: float = 0.00002,
        margin_init: float = 0.03, margin_maint: float = 0.03, **kw: Any,
    ) -> Instrument:
        """Returns a spot FX pair ``"EUR/USD.SIM"``: base EUR, quote and settlement USD."""
        iid = InstrumentId.from_str(symbol)
        base, _, quote = iid.symbol.partition("/")
        if not quote:
            raise InstrumentError(f"{symbol}: an FX pair symbol must be BASE/QUOTE.VENUE")
        q = Currency.from_code(quote)
        return cls._build(
            iid, InstrumentClass.FX_PAIR, price_precision, size_precision,
            Currency.from_code(base), q, q, maker_fee, taker_fee, margin_init, margin_maint,
            **kw,
        )

    @classmethod
    def equity(
        cls, symbol: str, *, currency: str = "USD", price_precision: int = 2,
        size_precision: int = 0, maker_fee: float = 0.0, taker_fee: float = 0.0,
        margin_init: float = 1.0, margin_maint: float = 1.0, **kw: Any,
    ) -> Instrument:
        """Returns a cash equity ``"AAPL.XNAS"`` priced and settled in ``currency``."""
        c = Currency.from_code(currency)
        return cls._build(
            InstrumentId.from_str(symbol), InstrumentClass.EQUITY, price_precision,
            size_precision, None, c, c, maker_fee, taker_fee, margin_init, margin_maint, **kw,
        )

    @classmethod
    def future(
        cls, symbol: str, *, currency: str = "USD", price_precision: int = 2,
        tick_size: str | None = "0.25", multiplier: int | str = 50, expiration_ns: int = 0,
        maker_fee: float = 0.0, taker_fee: float = 0.0,
        margin_init: float = 0.1, margin_maint: float = 0.08, **kw: Any,
    ) -> Instrument:
        """Returns a linear future ``"ESZ4.GLBX"`` (defaults: E-mini S&P, tick 0.25, x50)."""
        c = Currency.from_code(currency)
        return cls._build(
            InstrumentId.from_str(symbol), InstrumentClass.FUTURE, price_precision, 0,
            None, c, c, maker_fee, taker_fee, margin_init, margin_maint,
            tick_size=tick_size, multiplier=multiplier, expiration_ns=expiration_ns, **kw,
        )

    @classmethod
    def crypto_perpetual(
        cls, symbol: str, *, base: str = "BTC", quote: str = "USDT", is_inverse: bool = False,
        price_precision: int = 1, size_precision: int = 3, maker_fee: float = 0.0002,
        taker_fee: float = 0.0004, margin_init: float = 0.01, margin_maint: float = 0.005,
        **kw: Any,
    ) -> Instrument:
        """Returns a perpetual swap: linear (settled in ``quote``) or inverse (in ``base``)."""
        b, q = Currency.from_code(base), Currency.from_code(quote)
        return cls._build(
            InstrumentId.from_str(symbol), InstrumentClass.CRYPTO_PERPETUAL, price_precision,
            size_precision, b, q, b if is_inverse else q, maker_fee, taker_fee, margin_init,
            margin_maint, is_inverse=is_inverse, **kw,
        )

    @classmethod
    def _build(
        cls, iid: InstrumentId, iclass: InstrumentClass, pp: int, sp: int,
        base: Currency | None, quote: Currency, settle: Currency, maker_fee: float,
        taker_fee: float, margin_init: float, margin_maint: float, *,
        tick_size: str | None = None, lot_size: str | None = None,
        multiplier: int | str = 1, is_inverse: bool = False, expiration_ns: int = 0,
        min_quantity: str | None = None, max_quantity: str | None = None,
    ) -> Instrument:
        tick = Price.from_str(tick_size, pp, "tick_size") if tick_size else Price(1, pp)
        lot = Quantity.from_str(lot_size, sp, "lot_size") if lot_size else Quantity(1, sp)
        return cls(
            id=iid, instrument_class=iclass, price_precision=pp, size_precision=sp,
            tick_size=tick, lot_size=lot, multiplier=_to_qty(multiplier, sp, "multiplier"),
            base_currency=base, quote_currency=quote, settlement_currency=settle,
            maker_fee=maker_fee, taker_fee=taker_fee, margin_init=margin_init,
            margin_maint=margin_maint, is_inverse=is_inverse, expiration_ns=expiration_ns,
            min_quantity=_to_qty(min_quantity, sp, "min_quantity") if min_quantity else None,
            max_quantity=_to_qty(max_quantity, sp, "max_quantity") if max_quantity else None,
        )

    # --- grids and constructors -----------------------------------------------------------------
    def is_on_tick(self, price_raw: int) -> bool:
        """Returns True when ``price_raw`` (at price_precision) is a multiple of the tick size."""
        return price_raw % self.tick_size.raw == 0

    def is_on_lot(self, qty_raw: int) -> bool:
        """Returns True when ``qty_raw`` (at size_precision) is a multiple of the lot size."""
        return qty_raw % self.lot_size.raw == 0

    def make_price(self, x: Price | str | float | int | Decimal) -> Price:
        """Returns ``x`` as a Price at price_precision (floats round half-even; str is exact)."""
        return _to_price(x, self.price_precision, "price")

    def make_qty(self, x: Quantity | str | float | int | Decimal) -> Quantity:
        """Returns ``x`` as a Quantity at size_precision (floats round half-even; str is exact)."""
        return _to_qty(x, self.size_precision, "quantity")

    # --- money maths ----------------------------------------------------------------------------
    def notional_raw(self, qty_raw: int, price_raw: int) -> int:
        """Returns the notional in raw settlement-currency units (rounded half away from zero).

        Linear: ``qty * price * multiplier``. Inverse: ``qty * multiplier / price``.
        """
        if self.is_inverse:
            if price_raw <= 0:
                raise InstrumentError(f"{self.id}: inverse notional needs price > 0, got raw {price_raw}")
            return div_round(qty_raw * self._scale_num, price_raw * self._scale_den)
        return div_round(qty_raw * price_raw * self._scale_num, self._scale_den)

    def notional(self, qty: Quantity, price: Price) -> Money:
        """Returns the notional of ``qty`` at ``price`` in the settlement currency."""
        raw = self.notional_raw(qty.raw_at(self.size_precision), price.raw_at(self.price_precision))
        return Money(raw, self.settlement_currency)

    def cash_flow_raw(self, side: int, qty_raw: int, price_raw: int) -> int:
        """Returns the settlement-currency flow of a fill before commission (raw, signed).

        Linear: a buy pays the notional (negative), a sell receives it. Inverse: the sign is
        reversed, because a long inverse position gains base currency as the price rises.
        """
        n = self.notional_raw(qty_raw, price_raw)
        if self.is_inverse:
            return n if side == _BUY else -n
        return -n if side == _BUY else n

    # --- record fields ---------------------------------------------------------------------------
    def to_fields(self, instrument_id_int: int) -> dict[str, Any]:
        """Returns the payload fields of an INSTRUMENT record (raw values, names as in kinds)."""
        return {
            "instrument_id": instrument_id_int,
            "instrument_class": int(self.instrument_class),
            "price_precision": self.price_precision,
            "size_precision": self.size_precision,
            "is_inverse": int(self.is_inverse),
            "tick_size": self.tick_size.raw,
            "lot_size": self.lot_size.raw,
            "multiplier": self.multiplier.raw,
            "base_currency": pack_currency(self.base_currency.code) if self.base_currency else 0,
            "quote_currency": pack_currency(self.quote_currency.code),
            "settlement_currency": pack_currency(self.settlement_currency.code),
            "maker_fee": self.maker_fee,
            "taker_fee": self.taker_fee,
            "margin_init": self.margin_init,
            "margin_maint": self.margin_maint,
            "expiration_ns": self.expiration_ns,
        }

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any], symbol: str) -> Instrument:
        """Returns the instrument of an INSTRUMENT record's fields; ``symbol`` is its text id.

        min / max quantity are not carried by the record and come back as None.
        """
        pp, sp = int(fields["price_precision"]), int(fields["size_precision"])
        base = int(fields["base_currency"])
        return cls(
            id=InstrumentId.from_str(symbol),
            instrument_class=InstrumentClass(int(fields["instrument_class"])),
            price_precision=pp,
            size_precision=sp,
            tick_size=Price(int(fields["tick_size"]), pp),
            lot_size=Quantity(int(fields["lot_size"]), sp),
            multiplier=Quantity(int(fields["multiplier"]), sp),
            base_currency=Currency.from_code(unpack_currency(base)) if base else None,
            quote_currency=Currency.from_code(unpack_currency(int(fields["quote_currency"]))),
            settlement_currency=Currency.from_code(
                unpack_currency(int(fields["settlement_currency"]))
            ),
            maker_fee=float(fields["maker_fee"]),
            taker_fee=float(fields["taker_fee"]),
            margin_init=float(fields["margin_init"]),
            margin_maint=float(fields["margin_maint"]),
            is_inverse=bool(fields["is_inverse"]),
            expiration_ns=int(fields["expiration_ns"]),
        )
