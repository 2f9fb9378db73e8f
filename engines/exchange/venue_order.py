"""The venue's own record of an order it holds (resting, waiting for a trigger, or in flight).

The exchange decides on this copy, not on the cache's :class:`domain.orders.Order`: its events
are applied by the reducers only after the exchange's reaction, so within one reaction the venue
copy is the only up-to-date one. It round-trips through plain data (``to_doc`` / ``from_doc``).
"""

from __future__ import annotations

from typing import Any

import attrs

from domain.enums import OrderOption, OrderType, TimeInForce
from domain.orders import Order
from engines.exchange.matching import stop_triggered, touched
from engines.exchange.queue import QueuePosition

# Plain ints: the flag tests run per order on the submit path (an IntFlag ``&`` costs ~1 µs).
_POST_ONLY = int(OrderOption.POST_ONLY)
_REDUCE_ONLY = int(OrderOption.REDUCE_ONLY)
#: Order types that wait for a trigger price: stops trigger at or through it, if-touched
#: orders when the price reaches it from the favourable side.
_STOPS = frozenset((int(OrderType.STOP_MARKET), int(OrderType.STOP_LIMIT)))
_STOPS = _STOPS | {int(OrderType.TRAILING_STOP_MARKET), int(OrderType.TRAILING_STOP_LIMIT)}
_IF_TOUCHED = frozenset((int(OrderType.MARKET_IF_TOUCHED), int(OrderType.LIMIT_IF_TOUCHED)))
IF_TOUCHED = _IF_TOUCHED  # the order types ``triggers_at`` tests as if-touched
_MARKETLIKE = frozenset((int(OrderType.MARKET), int(OrderType.STOP_MARKET),
                         int(OrderType.MARKET_TO_LIMIT), int(OrderType.MARKET_IF_TOUCHED),
                         int(OrderType.TRAILING_STOP_MARKET)))


@attrs.define(slots=True)
class VenueOrder:
    """One order as the venue sees it; prices and quantities raw."""

    client_order_id: int
    instrument_id: int
    strategy_id: int
    side: int
    order_type: int
    time_in_force: int
    options: int
    price_precision: int
    size_precision: int
    quantity_raw: int
    price_raw: int | None
    trigger_raw: int | None
    expire_ns: int
    position_id: int = 0
    account_id: int = 0
    filled_raw: int = 0
    venue_order_id: int = 0
    triggered: bool = False
    command_seq: int = 0
    queue: QueuePosition | None = None
    #: (offset type, trigger type, trailing offset, limit offset) of a trailing stop, else None.
    trailing: tuple[int, int, int, int] | None = None

    @classmethod
    def from_order(cls, order: Order, position_id: int, command_seq: int) -> VenueOrder:
        """Copies what the venue needs from the cache's order at submission."""
        # positionally, in field order (no keyword matching per submit): ids, side, type,
        # tif, options, precisions, quantity, prices, expiry, position, account, filled 0,
        # venue order id 0, triggered, command seq, no queue, trailing
        return cls(
            order.client_order_id, order.instrument_id, order.strategy_id, int(order.side),
            int(order.order_type), int(order.time_in_force), int(order.options),
            order.price_precision, order.size_precision, order.quantity_raw, order.price_raw,
            order.trigger_price_raw, order.expire_time_ns, position_id, order.account_id, 0, 0,
            order.released, command_seq, None, order.trailing,
        )

    @property
    def leaves_raw(self) -> int:
        return self.quantity_raw - self.filled_raw

    @property
    def is_post_only(self) -> bool:
        return bool(self.options & _POST_ONLY)

    @property
    def is_reduce_only(self) -> bool:
        return bool(self.options & _REDUCE_ONLY)

    @property
    def is_stop(self) -> bool:
        """True for an order waiting for its trigger (a stop or an if-touched order that has not
        triggered yet)."""
        return (self.order_type in _STOPS or self.order_type in _IF_TOUCHED) and not self.triggered

    def triggers_at(self, price_raw: int) -> bool:
        """True when ``price_raw`` fires this waiting order's trigger (stops: at or through it;
        if-touched: at or on the favourable side of it)."""
        if self.trigger_raw is None:
            return False  # a trailing stop whose trigger the market has not set yet
        if self.order_type in _IF_TOUCHED:
            return touched(self.side, self.trigger_raw, price_raw)
        return stop_triggered(self.side, self.trigger_raw, price_raw)

    @property
    def is_marketlike(self) -> bool:
        """True when the order takes at any price (market, or a triggered stop-market or
        market-if-touched)."""
        return self.order_type in _MARKETLIKE and self.price_raw is None

    @property
    def tif(self) -> TimeInForce:
        return TimeInForce(self.time_in_force)

    def to_doc(self) -> dict[str, Any]:
        """Returns the order as plain data (fields in declaration order)."""
        doc = {name: getattr(self, name) for name in _PLAIN_FIELDS}
        doc["queue"] = None if self.queue is None else self.queue.to_doc()
        doc["trailing"] = None if self.trailing is None else list(self.trailing)
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> VenueOrder:
        """Rebuilds an order from :meth:`to_doc` data."""
        fields = dict(doc)
        q, t = fields.pop("queue"), fields.pop("trailing", None)
        return cls(**fields, queue=None if q is None else QueuePosition.from_doc(q),
                   trailing=None if t is None else tuple(t))


_PLAIN_FIELDS = tuple(f.name for f in attrs.fields(VenueOrder)
                      if f.name not in ("queue", "trailing"))
