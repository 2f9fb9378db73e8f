"""Light market-data objects handed to strategies, built from raw record tuples.

Contract: attributes ending in ``_raw`` are the record's raw ints (no allocation); ``bid``,
``ask``, ``price``, ``size`` ... build :class:`~domain.values.Price` / ``Quantity`` on access.
Quotes and trades are tuple subclasses read by C-level getters: building one is a tuple copy.
Timestamps are ns (``ts_event``, ``ts_init``); ``instrument_id`` is the interned id.
"""

from __future__ import annotations

from typing import Any

from domain.codec import RAW_TUPLES
from domain.kinds import Kind
from domain.values import Price, Quantity


def _field(raw_cls: Any, name: str) -> Any:
    """A read-only attribute reading one field of the raw record by index: the raw namedtuple's
    own C-level descriptor (it reads any tuple; half the cost of a ``property(itemgetter)``)."""
    return raw_cls.__dict__[name]


_RAW_QUOTE = RAW_TUPLES[int(Kind.QUOTE)]
_RAW_TRADE = RAW_TUPLES[int(Kind.TRADE)]


class QuoteTick(tuple):
    """A QUOTE as a strategy sees it: a tuple of the raw record's fields (``QuoteTick(rec)``
    copies a raw namedtuple in C; the one-at-a-time path builds one per subscribed quote)."""

    __slots__ = ()

    instrument_id = _field(_RAW_QUOTE, "instrument_id")
    ts_event = _field(_RAW_QUOTE, "ts_event")
    ts_init = _field(_RAW_QUOTE, "ts_init")
    bid_raw = _field(_RAW_QUOTE, "bid")
    ask_raw = _field(_RAW_QUOTE, "ask")
    bid_size_raw = _field(_RAW_QUOTE, "bid_size")
    ask_size_raw = _field(_RAW_QUOTE, "ask_size")
    price_precision = _field(_RAW_QUOTE, "price_precision")
    size_precision = _field(_RAW_QUOTE, "size_precision")

    @property
    def bid(self) -> Price:
        return Price(self.bid_raw, self.price_precision)

    @property
    def ask(self) -> Price:
        return Price(self.ask_raw, self.price_precision)

    @property
    def bid_size(self) -> Quantity:
        return Quantity(self.bid_size_raw, self.size_precision)

    @property
    def ask_size(self) -> Quantity:
        return Quantity(self.ask_size_raw, self.size_precision)

    @property
    def mid(self) -> float:
        """The mid price as a float (in price units)."""
        return (self.bid_raw + self.ask_raw) / (2 * 10**self.price_precision)

    @property
    def raw(self) -> Any:
        """The raw record namedtuple (fields named as in domain/kinds.py)."""
        return _RAW_QUOTE._make(self)


class TradeTick(tuple):
    """A TRADE as a strategy sees it: a tuple of the raw record's fields."""

    __slots__ = ()

    instrument_id = _field(_RAW_TRADE, "instrument_id")
    ts_event = _field(_RAW_TRADE, "ts_event")
    ts_init = _field(_RAW_TRADE, "ts_init")
    price_raw = _field(_RAW_TRADE, "price")
    size_raw = _field(_RAW_TRADE, "size")
    aggressor_side = _field(_RAW_TRADE, "aggressor_side")
    trade_id = _field(_RAW_TRADE, "trade_id")
    price_precision = _field(_RAW_TRADE, "price_precision")
    size_precision = _field(_RAW_TRADE, "size_precision")

    @property
    def price(self) -> Price:
        return Price(self.price_raw, self.price_precision)

    @property
    def size(self) -> Quantity:
        return Quantity(self.size_raw, self.size_precision)

    @property
    def raw(self) -> Any:
        """The raw record namedtuple."""
        return _RAW_TRADE._make(self)


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
