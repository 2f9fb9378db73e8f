"""The order emulator: holds orders with an ``emulation_trigger`` in the kernel and triggers
them locally from quotes or trades, for venues that lack the order type.

Design contract:
- one implementation for every venue (backtest, sandbox, live), driven by records only: an
  emulated order is ORDER_INITIALIZED (+ TRAILING_OFFSETS) + ORDER_EMULATED from its strategy
  and no SUBMIT_ORDER; it stays INITIALIZED in the cache, held here, never sent;
- in an order list: an emulated order without a parent is held from its ORDER_EMULATED like a
  single one; an emulated OTO child (a bracket's stop-loss) is held by the order manager first
  and only watched here from its ORDER_ARMED (the order manager's answer to the parent's first
  fill, that fill its cause); its SUBMIT_ORDER carries the parent's position id, so the child
  reduces the position its parent opened. OCO / OUO across emulated and venue-resident legs are
  the order manager's (a held leg is canceled with ORDER_CANCELED, resized with
  ORDER_UPDATED);
- on each QUOTE (trigger types DEFAULT / BID_ASK: a buy the ask, a sell the bid; MID_POINT the
  mid) or TRADE (LAST_PRICE) of its instrument, in the order they were emulated, a held order
  whose trigger the price reached (stops: at or through it; if-touched: at or better) is
  released: ORDER_RELEASED then SUBMIT_ORDER, both caused by that quote / trade. The SUBMIT_ORDER
  goes through every risk check; the venue runs the released order as a market (stop-market,
  market-if-touched, trailing stop-market) or limit order at its price. An order is released at
  most once (removed from the held set when released);
- a held trailing stop follows the market first (:mod:`domain.trailing`, its own trigger type):
  each move an ORDER_UPDATED caused by the quote / trade; with no trigger yet, the first price
  sets it;
- a cancel of a held order is an ORDER_CANCELED from the execution engine (never sent) and a
  modify an ORDER_UPDATED from the risk engine, as for a held OTO child; a held order that is
  closed is dropped here when its close is seen;
- state: instrument -> held client order ids in emulation order (``snapshot`` / ``restore`` /
  ``digest``); the levels are read from the cache.
"""

from __future__ import annotations

from typing import Any

from domain.enums import OrderType
from domain.kinds import Kind
from domain.schema import NULL_I64
from domain.trailing import follow, quote_basis, trade_basis
from engines.component import Reactor
from engines.context import KernelContext
from engines.exchange.matching import stop_triggered, touched

_QUOTE, _TRADE, _EMULATED = int(Kind.QUOTE), int(Kind.TRADE), int(Kind.ORDER_EMULATED)
_ARMED = int(Kind.ORDER_ARMED)
_PRICES = (_QUOTE, _TRADE)
_PRICE_KINDS = frozenset(_PRICES)  # the kinds whose ``reacts_to`` answers follow ``held``
_CLOSING = (int(Kind.ORDER_CANCELED), int(Kind.ORDER_DENIED), int(Kind.ORDER_EXPIRED))
_IF_TOUCHED = frozenset((OrderType.MARKET_IF_TOUCHED, OrderType.LIMIT_IF_TOUCHED))


class OrderEmulator(Reactor):
    """Holds emulated orders and releases them on their trigger; see the module contract.

    Register it in the ``engines`` stage after the order manager."""

    handles = (_QUOTE, _TRADE, _EMULATED, _ARMED, *_CLOSING)

    def __init__(self, component_id: str = "OrderEmulator") -> None:
        super().__init__(component_id)
        #: instrument id -> held client order ids (emulation order).
        self.held: dict[int, dict[int, None]] = {}

    def reacts_to(self, kind: int, instrument_id: int) -> bool:
        if kind in _PRICES:
            return instrument_id in self.held
        return kind in self.handles

    # --- dispatch -------------------------------------------------------------------------------
    def react(self, rec: Any, ctx: KernelContext) -> None:
        kind = rec.kind
        if kind in _PRICES:
            held = self.held.get(rec.instrument_id)
            if held:
                self._on_price(rec, held, ctx)
        elif kind == _ARMED or (kind == _EMULATED and not _waits_for_parent(rec, ctx)):
            iid = rec.instrument_id
            if iid not in self.held:
                self.held[iid] = {}
                ctx.reactions_changed(_PRICE_KINDS, self)
            self.held[iid][rec.client_order_id] = None
        elif kind != _EMULATED:
            self._drop(rec.instrument_id, rec.client_order_id, ctx)

    def _drop(self, instrument_id: int, coid: int, ctx: KernelContext) -> None:
        held = self.held.get(instrument_id)
        if held is None or coid not in held:
            return
        del held[coid]
        if not held:
            del self.held[instrument_id]
            ctx.reactions_changed(_PRICE_KINDS, self)

    def _on_price(self, rec: Any, held: dict[int, None], ctx: KernelContext) -> None:
        for coid in list(held):
            order = ctx.cache.order(coid)
            if order is None or order.is_closed:
                self._drop(rec.instrument_id, coid, ctx)
                continue
            trigger = self._follow(order, rec, ctx) if order.trailing is not None \
                else order.trigger_price_raw
            px = self._price(order, order.emulation_trigger, rec)
            if px is None or trigger is None:
                continue
            if touched(order.side, trigger, px) if order.order_type in _IF_TOUCHED \
                    else stop_triggered(order.side, trigger, px):
                self._release(order, px, rec.instrument_id, ctx)

    @staticmethod
    def _price(order: Any, trigger_type: int, rec: Any) -> int | None:
        """The price ``rec`` gives an order triggered by ``trigger_type`` (None: not its kind)."""
        if rec.kind == _QUOTE:
            return quote_basis(order.side, trigger_type, rec.bid, rec.ask)
        return trade_basis(trigger_type, rec.price)

    def _follow(self, order: Any, rec: Any, ctx: KernelContext) -> int | None:
        """Trails a held trailing stop toward ``rec`` (ORDER_UPDATED when it moved); returns its
        trigger now."""
        basis = self._price(order, order.trailing[1], rec)
        if basis is None:
            return order.trigger_price_raw
        inst = ctx.cache.instrument(order.instrument_id)
        tick = inst.tick_size.raw if inst is not None else 1
        moved = follow(order.side, order.trigger_price_raw, order.price_raw, order.trailing,
                       basis, tick)
        if moved is None:
            return order.trigger_price_raw
        trig, price = moved
        ctx.emit(Kind.ORDER_UPDATED, self.source_id, **_ref(order), venue_order_id=0,
                 price_precision=order.price_precision, size_precision=order.size_precision,
                 quantity=order.quantity_raw, price=NULL_I64 if price is None else price,
                 trigger_price=trig)
        return trig

    def _release(self, order: Any, px: int, instrument_id: int, ctx: KernelContext) -> None:
        """ORDER_RELEASED + SUBMIT_ORDER (caused by the current quote / trade); drops the order."""
        self._drop(instrument_id, order.client_order_id, ctx)
        src = self.source_id
        ctx.emit(Kind.ORDER_RELEASED, src, **_ref(order), price_precision=order.price_precision,
                 released_price=px)
        parent = ctx.cache.order(order.parent_order_id) if order.parent_order_id else None
        ctx.emit(Kind.SUBMIT_ORDER, src, **_ref(order),
                 position_id=parent.position_id if parent is not None else 0,
                 order_list_id=order.order_list_id)

    # --- state ----------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {"held": [[iid, list(coids)] for iid, coids in self.held.items()]}

    def restore(self, doc: dict[str, Any]) -> None:
        self.held = {int(iid): dict.fromkeys(int(c) for c in coids) for iid, coids in doc["held"]}

    def digest(self, h: Any) -> None:
        h.update(repr([(iid, list(coids)) for iid, coids in self.held.items()]).encode())

    def on_reset(self) -> None:
        self.held = {}


def _waits_for_parent(rec: Any, ctx: KernelContext) -> bool:
    """True for the ORDER_EMULATED of an OTO child: the order manager arms it on its parent's
    fill (ORDER_ARMED)."""
    order = ctx.cache.order(rec.client_order_id)
    return order is not None and bool(order.parent_order_id)


def _ref(order: Any) -> dict[str, int]:
    return {"client_order_id": order.client_order_id, "instrument_id": order.instrument_id,
            "strategy_id": order.strategy_id}


__all__ = ["OrderEmulator"]
