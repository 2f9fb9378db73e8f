"""The order manager: contingent orders (OTO, OCO, OUO) managed inside the kernel.

Design contract:
- one implementation for every venue: a venue client never sees a contingency, so the simulated
  exchange, a live FIX venue and the sandbox behave the same (the way NautilusTrader's
  OrderManager and emulator do it);
- OTO: the children of a parent in a SUBMIT_ORDER_LIST are held by the risk engine (initialized,
  not sent). On each fill of the parent they are sized to the parent's filled quantity
  (ORDER_UPDATED while held; MODIFY_ORDER once released) and, the first time, released as
  SUBMIT_ORDERs that go through every risk check against the position the fill produced; an
  emulated child (``emulation_trigger``) is released to the emulator instead (ORDER_ARMED),
  which submits it on its trigger. A reduce-only child is sized to at most the position it can
  reduce. A parent that closes without any fill takes its held children with it
  (ORDER_CANCELED);
- OCO: a leg that closes (filled, canceled, expired, rejected) cancels its partner;
- OUO: a fill of a leg sizes its partner to the same leaves quantity; a leg that closes cancels
  its partner;
- every action is a record emitted while the triggering event is handled, so its ``cause`` is
  that fill / cancel / expiry and ``ringbus trace`` shows the chain;
- a cancel of a held child or of an emulated order not triggered yet is an ORDER_CANCELED (it
  never reached a venue), a resize of one an ORDER_UPDATED from the risk engine; a cancel of a
  released order goes through the execution engine like any other;
- state: parent -> children, in list order, for parents not closed yet, which of those
  children were released, and the orders it asked to cancel whose close it has not seen (``snapshot`` / ``restore`` / ``digest``); everything else is read
  from the cache.
"""

from __future__ import annotations

from typing import Any

from domain.enums import ContingencyType, OrderSide
from domain.kinds import Kind
from domain.order_fsm import CLOSED_STATUSES, OrderStatus
from domain.schema import NULL_I64
from engines.component import Reactor
from engines.context import KernelContext
from engines.order_projection import projected_status
from engines.record_emitter import RecordEmitter
from engines.risk_lists import list_orders

# enum members read per record / order: a class attribute read costs ~70 ns, a global ~5 ns
_K_SUBMIT_LIST, _K_FILLED = Kind.SUBMIT_ORDER_LIST, Kind.ORDER_FILLED
_BUY, _SELL = OrderSide.BUY, OrderSide.SELL

_OCO, _OUO = int(ContingencyType.OCO), int(ContingencyType.OUO)
_EITHER_OR = frozenset((_OCO, _OUO))
_INITIALIZED = OrderStatus.INITIALIZED
_CLOSING = (int(Kind.ORDER_CANCELED), int(Kind.ORDER_EXPIRED), int(Kind.ORDER_REJECTED),
            int(Kind.ORDER_DENIED))


_REF = ("client_order_id", "instrument_id", "strategy_id")
_SUBMIT = RecordEmitter(int(Kind.SUBMIT_ORDER), (*_REF, "position_id", "order_list_id"))
_CANCEL = RecordEmitter(int(Kind.CANCEL_ORDER), _REF)
_CANCELED = RecordEmitter(int(Kind.ORDER_CANCELED), (*_REF, "venue_order_id"))


class OrderManager(Reactor):
    """Manages OTO / OCO / OUO contingencies from records; see the module contract.

    Register it in the ``engines`` stage after the risk engine."""

    handles = (int(Kind.SUBMIT_ORDER_LIST), int(Kind.ORDER_FILLED), *_CLOSING)

    def __init__(self, component_id: str = "OrderManager") -> None:
        super().__init__(component_id)
        #: OTO parent -> its children's client order ids (list order), until the parent closes.
        self.children: dict[int, tuple[int, ...]] = {}
        #: Children released (SUBMIT_ORDER emitted) of the parents in ``children``.
        self.released: set[int] = set()
        #: Orders this manager asked to cancel whose close it has not seen yet: a cancel is
        #: asked once (events already sequenced behind the current one are not in the cache).
        self.canceling: set[int] = set()

    # --- dispatch -------------------------------------------------------------------------------
    def react(self, rec: Any, ctx: KernelContext) -> None:
        kind = rec.kind
        if kind == _K_SUBMIT_LIST:
            self._on_list(rec, ctx)
            return
        order = ctx.cache.order(rec.client_order_id)
        if order is None:
            return
        if kind == _K_FILLED:
            self._on_fill(order, ctx)
        else:
            self._on_close(order, ctx)

    def _on_list(self, cmd: Any, ctx: KernelContext) -> None:
        orders = list_orders(ctx.cache, cmd)
        ids = {o.client_order_id for o in orders}
        for o in orders:
            parent = o.parent_order_id
            if parent in ids:
                self.children[parent] = (*self.children.get(parent, ()), o.client_order_id)

    # --- events ---------------------------------------------------------------------------------
    def _on_fill(self, order: Any, ctx: KernelContext) -> None:
        coid = order.client_order_id
        if order.is_closed:
            self.canceling.discard(coid)
        kids = self.children.get(coid)
        if kids is not None:
            for child_id in kids:
                self._size_child(order, ctx.cache.order(child_id), ctx)
            if order.is_closed:
                self.released.difference_update(self.children.pop(coid))
        partner = self._partner(order, ctx)
        if partner is None:
            return
        if order.is_closed:
            self.cancel(partner, ctx)
        elif int(order.contingency) == _OUO:
            self._resize(partner, partner.filled_raw + order.leaves_raw, ctx)

    def _on_close(self, order: Any, ctx: KernelContext) -> None:
        if not order.is_closed:
            return  # e.g. a fill after cancel reopened it
        self.canceling.discard(order.client_order_id)
        kids = self.children.pop(order.client_order_id, None)
        if kids is not None:
            for child_id in kids:
                child = ctx.cache.order(child_id)
                if child_id not in self.released and child is not None \
                        and projected_status(ctx, child) == _INITIALIZED:
                    self.cancel(child, ctx)
            self.released.difference_update(kids)
        partner = self._partner(order, ctx)
        if partner is not None:
            self.cancel(partner, ctx)

    def _partner(self, order: Any, ctx: KernelContext) -> Any:
        """The OCO / OUO partner of ``order`` while it is not closed, else None."""
        if order.contingency not in _EITHER_OR or not order.linked_order_id:
            return None
        partner = ctx.cache.order(order.linked_order_id)
        if partner is None or projected_status(ctx, partner) in CLOSED_STATUSES:
            return None
        return partner

    # --- actions --------------------------------------------------------------------------------
    def _size_child(self, parent: Any, child: Any, ctx: KernelContext) -> None:
        """Sizes a child to its parent's filled quantity; releases it the first time."""
        if child is None:
            return
        status = projected_status(ctx, child)
        if status in CLOSED_STATUSES:
            return
        target = parent.filled_raw
        if child.is_reduce_only:
            target = min(target, _reducible(ctx, parent.position_id, child.side)) or target
        if status != _INITIALIZED or child.client_order_id in self.released:
            self._resize(child, target, ctx)
            return
        self.released.add(child.client_order_id)
        src = self.source_id
        if target != child.quantity_raw:
            ctx.emit(Kind.ORDER_UPDATED, src, **_order_ref(child), quantity=target,
                     price_precision=child.price_precision,
                     size_precision=child.size_precision, price=_raw(child.price_raw),
                     trigger_price=_raw(child.trigger_price_raw))
        if child.emulation_trigger is not None:  # the emulator submits it on its trigger
            ctx.emit(Kind.ORDER_ARMED, src, **_order_ref(child))
            return
        _SUBMIT.emit(ctx, src, child.client_order_id, child.instrument_id, child.strategy_id,
                     parent.position_id, child.order_list_id)

    def _resize(self, order: Any, quantity_raw: int, ctx: KernelContext) -> None:
        """Asks for ``order``'s quantity to become ``quantity_raw`` (above its fills)."""
        if quantity_raw == order.quantity_raw or quantity_raw <= order.filled_raw:
            return
        ctx.emit(Kind.MODIFY_ORDER, self.source_id, **_order_ref(order),
                 price_precision=order.price_precision, size_precision=order.size_precision,
                 quantity=quantity_raw, price=NULL_I64, trigger_price=NULL_I64)

    def cancel(self, order: Any, ctx: KernelContext) -> None:
        """Cancels ``order``: ORDER_CANCELED while held (never sent), else a CANCEL_ORDER."""
        if order.client_order_id in self.canceling:
            return
        self.canceling.add(order.client_order_id)
        ref = (order.client_order_id, order.instrument_id, order.strategy_id)
        if projected_status(ctx, order) == _INITIALIZED:
            _CANCELED.emit(ctx, self.source_id, *ref, 0)
        else:
            _CANCEL.emit(ctx, self.source_id, *ref)

    # --- state ----------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {"children": [[p, list(c)] for p, c in self.children.items()],
                "released": sorted(self.released), "canceling": sorted(self.canceling)}

    def restore(self, doc: dict[str, Any]) -> None:
        self.children = {int(p): tuple(int(x) for x in c) for p, c in doc["children"]}
        self.released = {int(c) for c in doc["released"]}
        self.canceling = {int(c) for c in doc["canceling"]}

    def digest(self, h: Any) -> None:
        h.update(repr((sorted(self.children.items()), sorted(self.released),
                       sorted(self.canceling))).encode())

    def on_reset(self) -> None:
        self.children = {}
        self.released = set()
        self.canceling = set()


def _raw(value: int | None) -> int:
    return NULL_I64 if value is None else value


def _order_ref(order: Any) -> dict[str, int]:
    return {"client_order_id": order.client_order_id, "instrument_id": order.instrument_id,
            "strategy_id": order.strategy_id}


def _reducible(ctx: KernelContext, position_id: int, side: OrderSide) -> int:
    """The quantity an order on ``side`` can reduce of the position (0 when none)."""
    pos = ctx.cache.position(position_id)
    held = pos.signed_raw if pos is not None else 0
    if (side == _SELL and held > 0) or (side == _BUY and held < 0):
        return abs(held)
    return 0


__all__ = ["OrderManager"]
