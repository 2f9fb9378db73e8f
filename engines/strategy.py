"""The Strategy API: an actor that trades. Its commands become records.

Design contract:
- ``submit_order`` emits ORDER_INITIALIZED then SUBMIT_ORDER; ``submit_order_list`` emits one
  ORDER_INITIALIZED per order then SUBMIT_ORDER_LIST; ``modify_order`` MODIFY_ORDER;
  ``cancel_order`` CANCEL_ORDER; ``cancel_all_orders`` CANCEL_ALL_ORDERS; ``close_position`` a
  reduce-only market order for the open quantity. All are emitted through the context (cause =
  the record being handled) and reach risk and execution in the same drain;
- the strategy index is its rank among the kernel's strategies (1, 2, ... in registration order)
  and ``strategy_id`` is its interned component id: both deterministic;
- ``oms="hedging"`` asks the cache to open a position per opening order instead of netting.
"""

from __future__ import annotations

from typing import Any

from domain.enums import OrderSide
from domain.kinds import Kind
from domain.schema import NULL_I64
from engines.actor import Actor
from engines.order_factory import NewOrder, NewOrderList, OrderFactory


class StrategyError(ValueError):
    """A strategy command refers to something it cannot use (unknown order, no instrument)."""


class Strategy(Actor):
    """Base of trading strategies; see the module contract."""

    def __init__(self, component_id: str | None = None, oms: str = "netting") -> None:
        super().__init__(component_id)
        if oms not in ("netting", "hedging"):
            raise StrategyError(f"oms must be 'netting' or 'hedging', got {oms!r}")
        self.oms = oms
        self.strategy_index = 0
        self.order_factory: OrderFactory | None = None

    def on_register(self, kernel: Any) -> None:
        super().on_register(kernel)
        self.strategy_index = 1 + sum(isinstance(c, Strategy) for c in kernel.components)
        self.order_factory = OrderFactory(self.strategy_index, self.instrument_id, self._instrument)
        if self.oms == "hedging" and self.cache is not None:
            self.cache.trading.hedging_strategies.add(self.source_id)

    @property
    def strategy_id(self) -> int:
        """The interned id of this strategy (its component id)."""
        return self.source_id

    def _instrument(self, instrument_id: int) -> Any:
        inst = self.cache.instrument(instrument_id) if self.cache is not None else None
        if inst is None:
            raise StrategyError(f"{self.component_id}: instrument_id {instrument_id} is unknown")
        return inst

    def _emit(self, kind: int, **fields: Any) -> None:
        self.ctx.emit(kind, self.source_id, **fields)

    # --- commands --------------------------------------------------------------------------------
    def submit_order(self, order: NewOrder, position_id: int = 0) -> int:
        """Emits ORDER_INITIALIZED + SUBMIT_ORDER; returns the client order id."""
        inst = self._instrument(order.instrument_id)
        fields = order.spec.initialized_fields(
            order.client_order_id, order.instrument_id, self.source_id,
            price_precision=inst.price_precision,
        )
        self._emit(Kind.ORDER_INITIALIZED, **fields)
        self._emit(Kind.SUBMIT_ORDER, client_order_id=order.client_order_id,
                   instrument_id=order.instrument_id, strategy_id=self.source_id,
                   position_id=position_id)
        return order.client_order_id

    def submit_order_list(self, order_list: NewOrderList) -> int:
        """Emits the list's ORDER_INITIALIZED records then SUBMIT_ORDER_LIST; returns its id."""
        inst = self._instrument(order_list.instrument_id)
        for fields in order_list.orders.initialized_fields(
            order_list.client_order_ids, order_list.instrument_id, self.source_id,
            order_list.order_list_id, inst.price_precision,
        ):
            self._emit(Kind.ORDER_INITIALIZED, **fields)
        self._emit(Kind.SUBMIT_ORDER_LIST, order_list_id=order_list.order_list_id,
                   instrument_id=order_list.instrument_id, strategy_id=self.source_id,
                   n_orders=len(order_list.client_order_ids))
        return order_list.order_list_id

    def _order(self, client_order_id: int) -> Any:
        order = self.cache.order(client_order_id)
        if order is None:
            raise StrategyError(f"{self.component_id}: client_order_id {client_order_id} is unknown")
        return order

    def modify_order(self, client_order_id: int, quantity: Any = None, price: Any = None,
                     trigger_price: Any = None) -> None:
        """Emits MODIFY_ORDER; values not given are kept (NULL in the record)."""
        order = self._order(client_order_id)
        inst = self._instrument(order.instrument_id)
        self._emit(
            Kind.MODIFY_ORDER, client_order_id=client_order_id,
            instrument_id=order.instrument_id, strategy_id=self.source_id,
            price_precision=inst.price_precision, size_precision=inst.size_precision,
            quantity=NULL_I64 if quantity is None else inst.make_qty(quantity).raw,
            price=NULL_I64 if price is None else inst.make_price(price).raw,
            trigger_price=NULL_I64 if trigger_price is None else inst.make_price(trigger_price).raw,
        )

    def cancel_order(self, client_order_id: int) -> None:
        """Emits CANCEL_ORDER for one of this strategy's orders."""
        order = self._order(client_order_id)
        self._emit(Kind.CANCEL_ORDER, client_order_id=client_order_id,
                   instrument_id=order.instrument_id, strategy_id=self.source_id)

    def cancel_all_orders(self, instrument: str | int, side: OrderSide = OrderSide.NO_SIDE) -> None:
        """Emits CANCEL_ALL_ORDERS for this strategy's open orders on ``instrument``."""
        self._emit(Kind.CANCEL_ALL_ORDERS, instrument_id=self.instrument_id(instrument),
                   strategy_id=self.source_id, side=int(side))

    def close_position(self, position: Any) -> int | None:
        """Submits a reduce-only market order that flattens ``position``; None when flat."""
        if not position.signed_raw:
            return None
        side = OrderSide.SELL if position.signed_raw > 0 else OrderSide.BUY
        if self.order_factory is None:
            raise StrategyError(f"{self.component_id}: not registered with a kernel")
        order = self.order_factory.market(position.instrument_id, side, position.quantity,
                                          reduce_only=True)
        return self.submit_order(order, position_id=position.position_id)

    def close_all_positions(self, instrument: str | int | None = None) -> list[int]:
        """Closes every open position of this strategy (on ``instrument`` when given)."""
        iid = None if instrument is None else self.instrument_id(instrument)
        out = []
        for pos in self.cache.positions(strategy_id=self.source_id, instrument_id=iid,
                                        open_only=True):
            coid = self.close_position(pos)
            if coid is not None:
                out.append(coid)
        return out

    # --- queries ---------------------------------------------------------------------------------
    def orders_open(self, instrument: str | int | None = None) -> list[Any]:
        """Returns this strategy's open orders, in log order."""
        iid = None if instrument is None else self.instrument_id(instrument)
        return self.cache.orders(strategy_id=self.source_id, instrument_id=iid, open_only=True)

    def snapshot(self) -> dict[str, Any]:
        doc = super().snapshot()
        f = self.order_factory
        doc["counters"] = [f.counter, f.list_counter] if f is not None else [0, 0]
        return doc

    def restore(self, doc: dict[str, Any]) -> None:
        super().restore(doc)
        if self.order_factory is not None:
            self.order_factory.counter, self.order_factory.list_counter = doc["counters"]
