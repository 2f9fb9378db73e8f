"""Light market-data objects handed to strategies, built from raw record tuples.

Contract: attributes ending in ``_raw`` are the record's raw ints (no allocation); ``bid``,
``ask``, ``price``, ``size`` ... build :class:`~domain.values.Price` / ``Quantity`` on access.
Timestamps are ns (``ts_event``, ``ts_init``); ``instrument_id`` is the interned id.
"""

from __future__ import annotations

from typing import Any

from domain.values import Price, Quantity


class QuoteTick:
    """A QUOTE as a strategy sees it."""

    __slots__ = ("_r",)

    def __init__(self, rec: Any) -> None:
        self._r = rec

    instrument_id = property(lambda self: self._r.instrument_id)
    ts_event = property(lambda self: self._r.ts_event)
    ts_init = property(lambda self: self._r.ts_init)
    bid_raw = property(lambda self: self._r.bid)
    ask_raw = property(lambda self: self._r.ask)
    bid_size_raw = property(lambda self: self._r.bid_size)
    ask_size_raw = property(lambda self: self._r.ask_size)
    price_precision = property(lambda self: self._r.price_precision)

    @property
    def bid(self) -> Price:
        return Price(self._r.bid, self._r.price_precision)

    @property
    def ask(self) -> Price:
        return Price(self._r.ask, self._r.price_precision)

    @property
    def bid_size(self) -> Quantity:
        return Quantity(self._r.bid_size, self._r.size_precision)

    @property
    def ask_size(self) -> Quantity:
        return Quantity(self._r.ask_size, self._r.size_precision)

    @property
    def mid(self) -> float:
        """The mid price as a float (in price units)."""
        r = self._r
        return (r.bid + r.ask) / (2 * 10**r.price_precision)

    @property
    def raw(self) -> Any:
        """The raw record tuple."""
        return self._r


class TradeTick:
    """A TRADE as a strategy sees it."""

    __slots__ = ("_r",)

    def __init__(self, rec: Any) -> None:
        self._r = rec

    instrument_id = property(lambda self: self._r.instrument_id)
    ts_event = property(lambda self: self._r.ts_event)
    ts_init = property(lambda self: self._r.ts_init)
    price_raw = property(lambda self: self._r.price)
    size_raw = property(lambda self: self._r.size)
    aggressor_side = property(lambda self: self._r.aggressor_side)
    trade_id = property(lambda self: self._r.trade_id)

    @property
    def price(self) -> Price:
        return Price(self._r.price, self._r.price_precision)

    @property
    def size(self) -> Quantity:
        return Quantity(self._r.size, self._r.size_precision)

    @property
    def raw(self) -> Any:
        return self._r


class Bar:
    """A BAR as a strategy sees it; ``ts_event`` is the bar's close time, ``ts_open`` its open."""

    __slots__ = ("_r",)

    def __init__(self, rec: Any) -> None:
        self._r = rec

    instrument_id = property(lambda self: self._r.instrument_id)
    ts_event = property(lambda self: self._r.ts_event)
    ts_open = property(lambda self: self._r.ts_open)
    aggregation = property(lambda self: self._r.aggregation)
    step = property(lambda self: self._r.step)
    price_type = property(lambda self: self._r.price_type)
    open_raw = property(lambda self: self._r.open)
    high_raw = property(lambda self: self._r.high)
    low_raw = property(lambda self: self._r.low)
    close_raw = property(lambda self: self._r.close)
    volume_raw = property(lambda self: self._r.volume)

    def _p(self, raw: int) -> Price:
        return Price(raw, self._r.price_precision)

    open = property(lambda self: self._p(self._r.open))
    high = property(lambda self: self._p(self._r.high))
    low = property(lambda self: self._p(self._r.low))
    close = property(lambda self: self._p(self._r.close))

    @property
    def volume(self) -> Quantity:
        return Quantity(self._r.volume, self._r.size_precision)

    @property
    def raw(self) -> Any:
        return self._r
