"""The order factory: builds orders with deterministic client order ids.

Contract: ids are ``ClientOrderId.of(strategy_index, counter)`` (u8: ``index << 40 | counter``),
the counter starting at 1 and incrementing per order built, so two runs of the same strategy on
the same inputs build the same ids; order list ids use a separate counter the same way. Prices
and quantities may be given as values or numbers; they are made at the instrument's precisions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from domain.enums import OrderSide, TimeInForce, TrailingOffsetType, TriggerType
from domain.identifiers import COUNTER_BITS, MAX_COUNTER, MAX_STRATEGY_INDEX, ClientOrderId
from domain.orders import OrderList, OrderSpec


def _offset_raw(inst: Any, offset_type: TrailingOffsetType, offset: Any, name: str) -> int:
    """Returns a trailing offset in its record unit: a raw price at the instrument's precision,
    hundredths of a basis point, or ticks (ValueError naming ``name`` when not exact)."""
    if offset_type == TrailingOffsetType.PRICE:
        return int(inst.make_price(offset).raw)
    scale = 100 if offset_type == TrailingOffsetType.BASIS_POINTS else 1
    value = Decimal(str(offset)) * scale
    if value != value.to_integral_value():
        unit = "a hundredth of a basis point" if scale == 100 else "a whole number of ticks"
        raise ValueError(f"{name} {offset} must be {unit}")
    return int(value)


@attrs.frozen
class NewOrder:
    """An order built by the factory and not yet submitted."""

    client_order_id: int
    instrument_id: int
    spec: OrderSpec


@attrs.frozen
class NewOrderList:
    """An order list built by the factory: its id and its orders (ids in list order)."""

    order_list_id: int
    instrument_id: int
    orders: OrderList
    client_order_ids: tuple[int, ...]


class OrderFactory:
    """Builds :class:`NewOrder` values for one strategy."""

    def __init__(self, strategy_index: int, resolve: Any, instrument_of: Any) -> None:
        self.strategy_index = strategy_index
        self.counter = 0
        self.list_counter = 0
        self._resolve = resolve
        self._instrument_of = instrument_of

    def next_id(self) -> int:
        """Returns the next client order id (and counts it)."""
        self.counter += 1
        return self._id_of(self.counter)

    def _id_of(self, counter: int) -> int:
        """``ClientOrderId.of(strategy_index, counter).value``, without building the id when
        both parts are plain ints in range (else built: it raises, naming the field)."""
        if 0 < counter <= MAX_COUNTER and type(self.strategy_index) is int \
                and 0 <= self.strategy_index <= MAX_STRATEGY_INDEX:
            return self.strategy_index << COUNTER_BITS | counter
        return ClientOrderId.of(self.strategy_index, counter).value

    def _target(self, instrument: str | int, quantity: Any) -> tuple[int, Any, Any]:
        """Returns the instrument id, the instrument (or its stand-in) and the quantity made."""
        iid = self._resolve(instrument)
        inst = self._instrument_of(iid)
        return iid, inst, inst.make_qty(quantity)

    def _prep(self, instrument: str | int, quantity: Any, **prices: Any) -> tuple[int, Any, dict]:
        iid, inst, qty = self._target(instrument, quantity)
        out = {k: inst.make_price(v) for k, v in prices.items() if v is not None}
        return iid, qty, out

    def _new(self, iid: int, spec: OrderSpec) -> NewOrder:
        return NewOrder(self.next_id(), iid, spec)

    def market(self, instrument: str | int, side: OrderSide, quantity: Any, **kw: Any) -> NewOrder:
        iid, _, qty = self._target(instrument, quantity)  # no prices: no dict of them to build
        return self._new(iid, OrderSpec.market(side, qty, **kw))

    def limit(self, instrument: str | int, side: OrderSide, quantity: Any, price: Any,
              **kw: Any) -> NewOrder:
        iid, qty, p = self._prep(instrument, quantity, price=price)
        return self._new(iid, OrderSpec.limit(side, qty, p["price"], **kw))

    def stop_market(self, instrument: str | int, side: OrderSide, quantity: Any,
                    trigger_price: Any, **kw: Any) -> NewOrder:
        iid, qty, p = self._prep(instrument, quantity, trigger_price=trigger_price)
        return self._new(iid, OrderSpec.stop_market(side, qty, p["trigger_price"], **kw))

    def stop_limit(self, instrument: str | int, side: OrderSide, quantity: Any, price: Any,
                   trigger_price: Any, **kw: Any) -> NewOrder:
        iid, qty, p = self._prep(instrument, quantity, price=price, trigger_price=trigger_price)
        return self._new(iid, OrderSpec.stop_limit(side, qty, p["price"], p["trigger_price"], **kw))

    def market_if_touched(self, instrument: str | int, side: OrderSide, quantity: Any,
                          trigger_price: Any, **kw: Any) -> NewOrder:
        iid, qty, p = self._prep(instrument, quantity, trigger_price=trigger_price)
        return self._new(iid, OrderSpec.market_if_touched(side, qty, p["trigger_price"], **kw))

    def limit_if_touched(self, instrument: str | int, side: OrderSide, quantity: Any, price: Any,
                         trigger_price: Any, **kw: Any) -> NewOrder:
        iid, qty, p = self._prep(instrument, quantity, price=price, trigger_price=trigger_price)
        return self._new(
            iid, OrderSpec.limit_if_touched(side, qty, p["price"], p["trigger_price"], **kw))

    def trailing_stop_market(
        self, instrument: str | int, side: OrderSide, quantity: Any, trailing_offset: Any, *,
        trailing_offset_type: TrailingOffsetType = TrailingOffsetType.PRICE,
        trigger_type: TriggerType = TriggerType.DEFAULT, trigger_price: Any = None, **kw: Any,
    ) -> NewOrder:
        """A stop-market whose trigger trails the market ``trailing_offset`` away: a price
        (PRICE), basis points (BASIS_POINTS, e.g. ``"12.5"``) or a number of ticks (TICKS).
        ``trigger_price``: the initial trigger (None: the venue sets it on arrival)."""
        iid, qty, p = self._prep(instrument, quantity, trigger_price=trigger_price)
        inst = self._instrument_of(iid)
        return self._new(iid, OrderSpec.trailing_stop_market(
            side, qty, _offset_raw(inst, trailing_offset_type, trailing_offset, "trailing_offset"),
            trailing_offset_type=trailing_offset_type, trigger_type=trigger_type,
            trigger_price=p.get("trigger_price"), **kw))

    def trailing_stop_limit(
        self, instrument: str | int, side: OrderSide, quantity: Any, trailing_offset: Any,
        limit_offset: Any, *, trailing_offset_type: TrailingOffsetType = TrailingOffsetType.PRICE,
        trigger_type: TriggerType = TriggerType.DEFAULT, trigger_price: Any = None,
        price: Any = None, **kw: Any,
    ) -> NewOrder:
        """As :meth:`trailing_stop_market`; the limit price trails ``limit_offset`` away (same
        unit); ``price``: the initial limit (None: set by the venue on arrival)."""
        iid, qty, p = self._prep(instrument, quantity, trigger_price=trigger_price, price=price)
        inst = self._instrument_of(iid)
        return self._new(iid, OrderSpec.trailing_stop_limit(
            side, qty, _offset_raw(inst, trailing_offset_type, trailing_offset, "trailing_offset"),
            _offset_raw(inst, trailing_offset_type, limit_offset, "limit_offset"),
            trailing_offset_type=trailing_offset_type, trigger_type=trigger_type,
            trigger_price=p.get("trigger_price"), price=p.get("price"), **kw))

    def market_to_limit(self, instrument: str | int, side: OrderSide, quantity: Any,
                        **kw: Any) -> NewOrder:
        iid, _, qty = self._target(instrument, quantity)
        return self._new(iid, OrderSpec.market_to_limit(side, qty, **kw))

    def bracket(self, instrument: str | int, side: OrderSide, quantity: Any, *, take_profit: Any,
                stop_loss: Any, entry_price: Any = None,
                time_in_force: TimeInForce = TimeInForce.GTC,
                emulation_trigger: TriggerType | None = None) -> NewOrderList:
        """Returns an entry OTO [take-profit OCO stop-loss] list with fresh ids;
        ``emulation_trigger``: the kernel emulates the stop-loss (see ``OrderList.bracket``)."""
        iid, inst, qty = self._target(instrument, quantity)
        make = inst.make_price  # as ``_prep``: the prices in this order, None left out
        tp, sl = make(take_profit), make(stop_loss)
        orders = OrderList.bracket(side, qty, take_profit=tp, stop_loss=sl,
                                   entry_price=None if entry_price is None else make(entry_price),
                                   time_in_force=time_in_force,
                                   emulation_trigger=emulation_trigger)
        self.list_counter += 1
        list_id = self._id_of(self.list_counter)
        first, n = self.counter + 1, len(orders.orders)
        if first + n - 1 <= MAX_COUNTER and type(self.strategy_index) is int \
                and 0 <= self.strategy_index <= MAX_STRATEGY_INDEX:
            # ``next_id`` per order, in one step: consecutive counters are consecutive ids
            self.counter += n
            base = self.strategy_index << COUNTER_BITS
            ids = tuple(range(base | first, (base | first) + n))
        else:
            ids = tuple([self.next_id() for _ in orders.orders])  # raises, naming the field
        return NewOrderList(list_id, iid, orders, ids)
