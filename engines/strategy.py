"""The Strategy API: an actor that trades. Its commands become records.

Design contract:
- ``submit_order`` emits ORDER_INITIALIZED (then TRAILING_OFFSETS for a trailing stop) then
  SUBMIT_ORDER, or ORDER_EMULATED for an emulated order (the emulator submits it later);
  ``submit_order_list`` emits one ORDER_INITIALIZED per order (each followed by its
  TRAILING_OFFSETS / ORDER_EMULATED) then SUBMIT_ORDER_LIST; ``modify_order`` MODIFY_ORDER;
  ``cancel_order`` CANCEL_ORDER; ``cancel_all_orders`` CANCEL_ALL_ORDERS; ``close_position`` a
  reduce-only market order for the open quantity. All are emitted through the context (cause =
  the record being handled) and reach risk and execution in the same drain;
- the strategy index is its rank among the kernel's strategies (1, 2, ... in registration order)
  and ``strategy_id`` is its interned component id: both deterministic;
- ``oms="hedging"`` asks the cache to open a position per opening order instead of netting;
- typed handlers (``on_order_accepted``, ``on_order_filled``, ``on_order_canceled``, ...,
  ``on_position_opened`` / ``changed`` / ``closed``: :data:`TYPED_HANDLERS`) are called for the
  strategy's own records, before ``on_order_event`` / ``on_position_event``; one that is not
  overridden costs nothing;
- bad commands are events, never exceptions: an order for an instrument without an INSTRUMENT
  record is still initialized (its values keep the precision they were given with) and submitted,
  and risk denies it (ORDER_DENIED); a modify or cancel of an unknown or closed order is sent
  and answered with ORDER_MODIFY_REJECTED / ORDER_CANCEL_REJECTED;
- an argument of the wrong type (``close_position("EUR/USD.SIM")``, a str order id) is a bug in
  the strategy: a TypeError naming the method, parameter and expected type
  (:mod:`engines.strategy_args`).
"""

from __future__ import annotations

from typing import Any

from domain.enums import OrderSide
from domain.kinds import Kind
from domain.order_specs import INITIALIZED_NAMES
from domain.positions import Position
from domain.schema import NULL_I64
from domain.values import Price, Quantity
from engines.actor import Actor
from engines.order_factory import NewOrder, NewOrderList, OrderFactory
from engines.reasons import render
from engines.record_emitter import RecordEmitter, emit_packed
from engines.strategy_args import expect_instrument, expect_int, expect_type

_SUBMIT = RecordEmitter(
    int(Kind.SUBMIT_ORDER), ("client_order_id", "instrument_id", "strategy_id", "position_id"))
_INITIALIZED = RecordEmitter(int(Kind.ORDER_INITIALIZED), INITIALIZED_NAMES)
_SUBMIT_LIST = RecordEmitter(
    int(Kind.SUBMIT_ORDER_LIST), ("order_list_id", "instrument_id", "strategy_id", "n_orders"))
_COID = "an int client order id (as submit_order returned)"
_BUY, _SELL = OrderSide.BUY, OrderSide.SELL  # enum members off the class are slow on 3.11


#: ORDER_* / POSITION_* kind -> the typed handler a strategy may override (``on_order_filled``,
#: ``on_position_closed``, ...): ``on_`` + the kind's name in lower case.
TYPED_HANDLERS: dict[int, str] = {
    int(k): f"on_{k.name.lower()}" for k in Kind
    if k.name.startswith(("ORDER_", "POSITION_"))
}


class StrategyError(ValueError):
    """A strategy command refers to something it cannot use (unknown order, no instrument)."""


class ValuesAsGiven:
    """Stands in for an instrument the cache does not know: values keep the precision they were
    given with (or the order's, when known), so the command can still be recorded and denied."""

    def __init__(self, price_precision: int | None = None, size_precision: int | None = None):
        self.price_precision = price_precision
        self.size_precision = size_precision

    def make_qty(self, x: Any) -> Quantity:
        """Returns ``x`` as a Quantity (precision inferred from the text when not known)."""
        return x if isinstance(x, Quantity) else Quantity.from_str(str(x), self.size_precision)

    def make_price(self, x: Any) -> Price:
        """Returns ``x`` as a Price (precision inferred from the text when not known)."""
        return x if isinstance(x, Price) else Price.from_str(str(x), self.price_precision)


class Strategy(Actor):
    """Base of trading strategies; see the module contract."""

    framework_attrs = Actor.framework_attrs | {"oms", "strategy_index", "order_factory"}

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
        self.order_factory = OrderFactory(
            self.strategy_index, self._order_instrument_id, self._instrument_or_given
        )
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

    def _instrument_or_given(self, instrument_id: int) -> Any:
        inst = self.cache.instrument(instrument_id) if self.cache is not None else None
        return inst if inst is not None else ValuesAsGiven()

    def _order_instrument_id(self, instrument: str | int) -> int:
        """Returns the instrument's id, interning an unknown symbol (its order will be denied)."""
        if isinstance(instrument, int):
            return instrument
        iid = self.ctx.strings.id_of(str(instrument))
        return iid if iid is not None else self.ctx.intern(str(instrument), self.source_id)

    def _emit(self, kind: int, **fields: Any) -> None:
        self.ctx.emit(kind, self.source_id, **fields)

    # --- commands --------------------------------------------------------------------------------
    def submit_order(self, order: NewOrder, position_id: int = 0) -> int:
        """Emits ORDER_INITIALIZED + SUBMIT_ORDER; returns the client order id.

        Positional emitters (:mod:`engines.record_emitter`): the same bytes as ``ctx.emit``,
        both records packed before either is queued and queued in one call.
        """
        if order.__class__ is not NewOrder:  # one compare on the hot path
            expect_type("submit_order", "order", order, NewOrder,
                        " (make it with self.order_factory)")
        coid, iid, src, ctx = order.client_order_id, order.instrument_id, self.source_id, self.ctx
        spec = order.spec
        values = spec.initialized_values(coid, iid, src, self._price_precision(iid, spec))
        outbox = ctx._require_outbox()  # raises EmitNotAllowed in the state stage
        if spec.trailing_offset or spec.emulation_trigger is not None:
            emit_packed(outbox, _INITIALIZED.pack(ctx, src, values))
            if spec.trailing_offset:
                self._emit_trailing(coid, iid, spec)
            if spec.emulation_trigger is not None:  # held by the emulator: no SUBMIT_ORDER
                self._emit(Kind.ORDER_EMULATED, client_order_id=coid, instrument_id=iid,
                           strategy_id=src, trigger_type=int(spec.emulation_trigger))
                return coid
            emit_packed(outbox, _SUBMIT.pack(ctx, src, (coid, iid, src, position_id)))
            return coid
        emit_packed(outbox, _INITIALIZED.pack(ctx, src, values)
                    + _SUBMIT.pack(ctx, src, (coid, iid, src, position_id)))
        return coid

    def _emit_trailing(self, coid: int, iid: int, spec: Any) -> None:
        """Emits a trailing stop's TRAILING_OFFSETS (right after its ORDER_INITIALIZED)."""
        self._emit(Kind.TRAILING_OFFSETS, client_order_id=coid, instrument_id=iid,
                   strategy_id=self.source_id, trailing_offset_type=int(spec.trailing_offset_type),
                   trigger_type=int(spec.trigger_type), trailing_offset=spec.trailing_offset,
                   limit_offset=spec.limit_offset)

    def submit_order_list(self, order_list: NewOrderList) -> int:
        """Emits the list's ORDER_INITIALIZED records then SUBMIT_ORDER_LIST; returns its id
        (positional emitters, as ``submit_order``)."""
        expect_type("submit_order_list", "order_list", order_list, NewOrderList)
        specs = order_list.orders.orders
        iid, src, ctx = order_list.instrument_id, self.source_id, self.ctx
        list_id, ids = order_list.order_list_id, order_list.client_order_ids
        precision = self._price_precision(iid, *specs)
        rows = order_list.orders.initialized_values(ids, iid, src, list_id, precision)
        outbox = ctx._require_outbox()  # raises EmitNotAllowed in the state stage
        packed = b""
        for spec, values in zip(specs, rows, strict=True):
            packed += _INITIALIZED.pack(ctx, src, values)
            if spec.trailing_offset or spec.emulation_trigger is not None:
                emit_packed(outbox, packed)  # its own records right after its ORDER_INITIALIZED
                packed = b""
                if spec.trailing_offset:
                    self._emit_trailing(values[0], iid, spec)
                if spec.emulation_trigger is not None:
                    self._emit(Kind.ORDER_EMULATED, client_order_id=values[0], instrument_id=iid,
                               strategy_id=src, trigger_type=int(spec.emulation_trigger))
        emit_packed(outbox, packed + _SUBMIT_LIST.pack(ctx, src, (list_id, iid, src, len(ids))))
        return list_id

    def _price_precision(self, instrument_id: int, *specs: Any) -> int:
        inst = self.cache.instrument(instrument_id) if self.cache is not None else None
        if inst is not None:
            return int(inst.price_precision)
        for spec in specs:  # unknown instrument: the precision the prices were given with
            for p in (spec.price, spec.trigger_price):
                if p is not None:
                    return int(p.precision)
        return 0

    def modify_order(self, client_order_id: int, quantity: Any = None, price: Any = None,
                     trigger_price: Any = None) -> None:
        """Emits MODIFY_ORDER; values not given are kept (NULL in the record).

        A modify of an unknown or closed order is still emitted: risk answers it with
        ORDER_MODIFY_REJECTED.
        """
        expect_int("modify_order", "client_order_id", client_order_id, _COID)
        order = self.cache.order(client_order_id)
        iid = order.instrument_id if order is not None else 0
        inst = self.cache.instrument(iid) if order is not None else None
        if inst is None:
            inst = ValuesAsGiven(*((order.price_precision, order.size_precision)
                                   if order is not None else (None, None)))
        qty = None if quantity is None else inst.make_qty(quantity)
        px = None if price is None else inst.make_price(price)
        trigger = None if trigger_price is None else inst.make_price(trigger_price)
        self._emit(
            Kind.MODIFY_ORDER, client_order_id=client_order_id,
            instrument_id=iid, strategy_id=self.source_id,
            price_precision=_precision(inst.price_precision, px, trigger),
            size_precision=_precision(inst.size_precision, qty),
            quantity=NULL_I64 if qty is None else qty.raw,
            price=NULL_I64 if px is None else px.raw,
            trigger_price=NULL_I64 if trigger is None else trigger.raw,
        )

    def cancel_order(self, client_order_id: int) -> None:
        """Emits CANCEL_ORDER for one of this strategy's orders (an unknown or closed one is
        answered with ORDER_CANCEL_REJECTED)."""
        expect_int("cancel_order", "client_order_id", client_order_id, _COID)
        order = self.cache.order(client_order_id)
        self._emit(Kind.CANCEL_ORDER, client_order_id=client_order_id,
                   instrument_id=order.instrument_id if order is not None else 0,
                   strategy_id=self.source_id)

    def cancel_all_orders(self, instrument: str | int, side: OrderSide = OrderSide.NO_SIDE) -> None:
        """Emits CANCEL_ALL_ORDERS for this strategy's open orders on ``instrument``."""
        expect_instrument("cancel_all_orders", instrument)
        self._emit(Kind.CANCEL_ALL_ORDERS, instrument_id=self.instrument_id(instrument),
                   strategy_id=self.source_id, side=int(side))

    def close_position(self, position: Any) -> int | None:
        """Submits a reduce-only market order that flattens ``position``; None when flat."""
        expect_type("close_position", "position", position, Position,
                    " (from self.cache.positions(...); to close by instrument use "
                    "close_all_positions(instrument))")
        if not position.signed_raw:
            return None
        side = _SELL if position.signed_raw > 0 else _BUY
        if self.order_factory is None:
            raise StrategyError(f"{self.component_id}: not registered with a kernel")
        order = self.order_factory.market(position.instrument_id, side, position.quantity,
                                          reduce_only=True)
        return self.submit_order(order, position_id=position.position_id)

    def close_all_positions(self, instrument: str | int | None = None) -> list[int]:
        """Closes every open position of this strategy (on ``instrument`` when given)."""
        expect_instrument("close_all_positions", instrument, optional=True)
        iid = None if instrument is None else self.instrument_id(instrument)
        out = []
        for pos in self.cache.positions(strategy_id=self.source_id, instrument_id=iid,
                                        open_only=True):
            coid = self.close_position(pos)
            if coid is not None:
                out.append(coid)
        return out

    # --- typed event handlers ------------------------------------------------------------------
    def handlers(self) -> dict[int, Any]:
        """The actor's handlers, plus the typed order / position handlers this strategy
        overrides: for one record the typed handler runs first, then ``on_order_event`` /
        ``on_position_event`` (as in NautilusTrader)."""
        h = super().handlers()
        cls = type(self)
        for kind, name in TYPED_HANDLERS.items():
            if getattr(cls, name, None) is not getattr(Strategy, name, None):
                h[kind] = self._typed(getattr(self, name), h.get(kind))
        return h

    def _typed(self, typed: Any, generic: Any) -> Any:
        def handle(rec: Any, ctx: Any) -> None:
            if rec.strategy_id == self.source_id:
                typed(rec)
                if generic is not None:
                    generic(rec, ctx)
        return handle

    def on_order_initialized(self, rec: Any) -> None:
        """Called with each ORDER_INITIALIZED of this strategy (raw record)."""

    def reason_of(self, rec: Any) -> str:
        """Returns the reason of a refusal record (ORDER_DENIED, ORDER_REJECTED,
        ORDER_MODIFY_REJECTED, ORDER_CANCEL_REJECTED) as text: its template rendered with the
        record's fields and the numbers the cache keeps on the order (engines/reasons.py)."""
        order = self.cache.order(rec.client_order_id)
        args = order.reason_args if order is not None and order.reason_id == rec.reason_id \
            else None
        return render(self.cache.strings.text(rec.reason_id), rec, args)

    def on_order_denied(self, rec: Any) -> None:
        """Called when risk denied an order (``rec.reason_id``: the interned reason;
        :meth:`reason_of` renders it)."""

    def on_order_submitted(self, rec: Any) -> None:
        """Called when an order passed risk and went to its venue."""

    def on_order_accepted(self, rec: Any) -> None:
        """Called when the venue accepted an order."""

    def on_order_rejected(self, rec: Any) -> None:
        """Called when the venue rejected an order (``rec.reason_id``)."""

    def on_order_canceled(self, rec: Any) -> None:
        """Called when an order was canceled (by the venue, the strategy or a contingency)."""

    def on_order_expired(self, rec: Any) -> None:
        """Called when an order expired (GTD / DAY)."""

    def on_order_triggered(self, rec: Any) -> None:
        """Called when a stop / if-touched order triggered."""

    def on_order_pending_update(self, rec: Any) -> None:
        """Called when a modify was sent."""

    def on_order_pending_cancel(self, rec: Any) -> None:
        """Called when a cancel was sent."""

    def on_order_updated(self, rec: Any) -> None:
        """Called when an order's quantity or prices changed (``rec.quantity`` etc.)."""

    def on_order_modify_rejected(self, rec: Any) -> None:
        """Called when a modify was refused (``rec.reason_id``)."""

    def on_order_cancel_rejected(self, rec: Any) -> None:
        """Called when a cancel was refused (``rec.reason_id``)."""

    def on_order_filled(self, rec: Any) -> None:
        """Called with each fill of an order (``rec.last_qty``, ``rec.last_px`` raw)."""

    def on_position_opened(self, rec: Any) -> None:
        """Called when a position of this strategy opened."""

    def on_position_changed(self, rec: Any) -> None:
        """Called when a position of this strategy changed (still open)."""

    def on_position_closed(self, rec: Any) -> None:
        """Called when a position of this strategy closed (a flip: closed, then opened)."""

    # --- queries ---------------------------------------------------------------------------------
    def orders_open(self, instrument: str | int | None = None) -> list[Any]:
        """Returns this strategy's open orders, in log order."""
        expect_instrument("orders_open", instrument, optional=True)
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


def _precision(known: int | None, *values: Any) -> int:
    if known is not None:
        return int(known)
    for v in values:
        if v is not None:
            return int(v.precision)
    return 0
