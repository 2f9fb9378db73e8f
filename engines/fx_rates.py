"""Exchange rates from the quotes of currency pairs, and conversions at a rate.

Design contract:
- a rate converts ``from`` into ``to`` (units of ``to`` per unit of ``from``) from the latest
  quote (else the book's top) of a pair the cache knows, at its mid: a direct pair
  ``FROM/TO`` gives ``mid`` (source 1), an inverse pair ``TO/FROM`` gives ``1 / mid``
  (source 2), and without either, ``FROM -> USD -> TO`` multiplies two such legs (source 3);
- pairs are searched in ascending instrument id, so the same cache always gives the same rate;
  none found gives None (the caller denies or leaves the amount unconverted, and says so);
- :func:`convert_raw` multiplies a raw amount exactly (the float rate's binary value as a
  fraction) and rounds half away from zero once, at the target currency's precision;
- pure functions of the cache and their arguments: the kernel journals each rate it uses as an
  FX_RATE record, so replay reads rates from the log, never from here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from domain.currencies import Currency
from domain.money import convert_raw as money_convert

DIRECT, INVERSE, VIA_USD = 1, 2, 3
_USD = Currency.from_code("USD").packed
#: ``instrument_id -> (bid raw, ask raw) or None``: a source of prices newer than the cache's.
Touch = Callable[[int], "tuple[int, int] | None"] | None


class FxRate(NamedTuple):
    """A rate and where it came from (see the module contract)."""

    rate: float
    source: int
    instrument_id: int
    via_instrument_id: int = 0


def cache_touch(cache: Any, instrument_id: int) -> tuple[int, int] | None:
    """Returns the raw (bid, ask) of the instrument's latest quote, else of its book's top."""
    quote = cache.quote(instrument_id)
    if quote is not None:
        return quote.bid, quote.ask
    book = cache.book(instrument_id)
    top = (book.best_bid(), book.best_ask()) if book is not None else (None, None)
    if top[0] is None or top[1] is None:
        return None
    return top[0][0], top[1][0]


def _mid(cache: Any, instrument_id: int, price_precision: int, touch: Touch) -> float | None:
    found = touch(instrument_id) if touch is not None else None
    bid_ask = found if found is not None else cache_touch(cache, instrument_id)
    if bid_ask is None or bid_ask[0] <= 0 or bid_ask[1] <= 0:
        return None
    return (bid_ask[0] + bid_ask[1]) / 2 / 10**price_precision


def _leg(cache: Any, from_code: int, to_code: int, touch: Touch = None) -> FxRate | None:
    """Returns the rate of one direct or inverse pair, or None."""
    for iid in sorted(cache.instruments):
        inst = cache.instruments[iid]
        base = inst.base_currency
        if base is None or inst.is_inverse:
            continue
        quote = inst.quote_currency.packed
        if (base.packed, quote) == (from_code, to_code):
            mid = _mid(cache, iid, inst.price_precision, touch)
            if mid is not None:
                return FxRate(mid, DIRECT, iid)
        elif (base.packed, quote) == (to_code, from_code):
            mid = _mid(cache, iid, inst.price_precision, touch)
            if mid is not None:
                return FxRate(1.0 / mid, INVERSE, iid)
    return None


def find_rate(cache: Any, from_code: int, to_code: int, touch: Touch = None) -> FxRate | None:
    """Returns the rate converting packed currency ``from_code`` into ``to_code``, or None.
    ``touch(instrument_id)`` may supply newer (bid, ask) raw prices than the cache holds (the
    equity sampler's marks, which run ahead of the cache inside a batch)."""
    if from_code == to_code:
        return FxRate(1.0, DIRECT, 0)
    direct = _leg(cache, from_code, to_code, touch)
    if direct is not None or _USD in (from_code, to_code):
        return direct
    first, second = _leg(cache, from_code, _USD, touch), _leg(cache, _USD, to_code, touch)
    if first is None or second is None:
        return None
    return FxRate(first.rate * second.rate, VIA_USD, first.instrument_id, second.instrument_id)


def convert_raw(amount_raw: int, from_code: int, to_code: int, rate: float) -> int:
    """Returns ``amount_raw`` of packed currency ``from_code`` in raw units of ``to_code``
    (:func:`domain.money.convert_raw`: exact product, rounded half away from zero)."""
    return money_convert(amount_raw, Currency.from_packed(from_code),
                         Currency.from_packed(to_code), rate)


def no_rate_reason(from_code: int, to_code: int) -> str:
    """The denial of an order whose amounts cannot be converted."""
    f, t = Currency.from_packed(from_code).code, Currency.from_packed(to_code).code
    return (f"fx rate: no quote converts {f} to {t} (needs a quoted {f}/{t} or {t}/{f} pair, "
            f"or both legs via USD)")
