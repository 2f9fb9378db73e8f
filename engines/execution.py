"""The execution engine: routes commands to venue clients; turns fills into position events.

Design contract:
- commands reach a venue only through its :class:`ExecutionClient` (``ctx.client(venue)``, the
  venue of the order's instrument); SUBMIT_ORDER / SUBMIT_ORDER_LIST / MODIFY_ORDER arrive here
  from the risk engine (:meth:`ExecutionEngine.execute_submit` etc.) once they passed its
  checks; CANCEL_ORDER and CANCEL_ALL_ORDERS are handled directly (no risk check);
- a cancel of an unknown or closed order, of one an event earlier in the same cascade closes
  (:mod:`engines.order_projection`), or for a venue without a client, becomes an
  ORDER_CANCEL_REJECTED record naming the order and the reason, never an exception; the reason
  is a template (:class:`engines.reasons.Reason`) whose ``{client_order_id}`` the record fills,
  so no string is interned per order;
- a CANCEL_ALL_ORDERS first cancels (ORDER_CANCELED, never sent) the strategy's orders on the
  instrument (and side) that the kernel holds unsent - emulated orders not released, OTO
  children not released - in the order they were created, then, when the venue has a client,
  emits ORDER_PENDING_CANCEL for each of those orders open at the venue (accepted, triggered,
  partially filled or with a modify in flight, as of this cascade's events; one already
  pending cancel or still in flight to the venue gets none), as NautilusTrader's
  ``cancel_all_orders`` does, and goes to the client;
- position ids are deterministic and resolved by the cache's one rule
  (``cache.trading.position_id_for``: the command's ``position_id``, else netting
  ``netting_position_id(instrument_id, strategy_id)``, or for a hedging strategy the opening
  order's client order id). The id travels in the command's ``position_id`` to the client,
  which copies it into its fills;
- on every ORDER_FILLED the engine reads what the fill did from the cache: the kernel's fused
  consumer applies a record to the cache before any engine sees it, so the cache's position
  and account are exactly as of that fill (``cache.trading.last_fill_effect``); it emits
  POSITION_OPENED / CHANGED / CLOSED (a flip: CLOSED then OPENED), then what the fill's
  account reports (:mod:`engines.account_events`: base-currency FX_RATE conversions, one
  ACCOUNT_STATE per currency with the funds locked by its open orders, margin calls);
- the engine never mutates the cache; its own state is the order -> position routing map of
  the orders not closed (an entry leaves when its order fills completely, is canceled, expires
  or is rejected: the map stays as small as the open orders).
"""

from __future__ import annotations

from typing import Any, Protocol

from domain.kinds import Kind
from domain.order_fsm import CLOSED_STATUSES, OrderStatus
from domain.positions import POSITION_FIELD_NAMES, Position, PositionEffect
from engines.account_events import emit_after_fill
from engines.cache_trading import netting_position_id
from engines.component import Reactor
from engines.context import KernelContext, UnknownClientError
from engines.order_projection import projected_status
from engines.reasons import Reason
from engines.record_emitter import RecordEmitter

# enum members read per record / order: a class attribute read costs ~70 ns, a global ~5 ns
_K_FILLED, _K_CANCEL = Kind.ORDER_FILLED, Kind.CANCEL_ORDER
_FLIPPED, _OPENED, _ST_FILLED = PositionEffect.FLIPPED, PositionEffect.OPENED, OrderStatus.FILLED
_ST_INITIALIZED = OrderStatus.INITIALIZED

#: Events that close an order for good (a fill closes it when it fills the whole quantity).
_CLOSING = (int(Kind.ORDER_CANCELED), int(Kind.ORDER_EXPIRED), int(Kind.ORDER_REJECTED))
#: Statuses of an order open at its venue that a CANCEL_ALL_ORDERS marks PENDING_CANCEL
#: (NautilusTrader's open orders, less those already pending cancel).
_VENUE_CANCELABLE = frozenset((OrderStatus.ACCEPTED, OrderStatus.TRIGGERED,
                               OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING_UPDATE))


class ExecutionError(RuntimeError):
    """The engine was wired against its contract (e.g. a fill the cache has not applied)."""


class ExecutionClient(Protocol):
    """What a venue (simulated exchange or live adapter) implements.

    Every method is called on the kernel thread, in the ``engines`` stage, with ``ctx.now_ns`` and
    ``ctx.current_seq`` set to the command record being handled, and with the command as its raw
    namedtuple (fields named as in :mod:`domain.kinds`). The client answers with ORDER_* records
    through ``ctx.emit`` (now) or ``ctx.schedule_kind`` (after a latency); it must never raise for
    an expected failure (emit ORDER_REJECTED / ORDER_MODIFY_REJECTED / ORDER_CANCEL_REJECTED).

    State visible in ``ctx.cache`` when a method is called: the order's ORDER_INITIALIZED has
    been applied; the ORDER_SUBMITTED / ORDER_PENDING_* the engines emitted for this command have
    NOT (they are applied after this stage's batch), so read the order's fields, not its status.

    - ``venue``: the venue name (``"SIM"``), as in ``SYMBOL.VENUE``;
    - ``account_id``: interned id of the account its fills book to (put in ORDER_SUBMITTED and in
      every ORDER_FILLED);
    - ``submit(cmd, ctx)``: a SUBMIT_ORDER that passed risk; ``cmd.position_id`` is the position
      the order's fills apply to: copy it into every ORDER_FILLED of the order;
    - ``submit_order_list(cmd, orders, ctx)``: a SUBMIT_ORDER_LIST that passed risk; ``orders``
      are the SUBMIT_ORDER namedtuples of its orders without a parent in the list, in list order
      (position ids resolved); OTO children come later as SUBMIT_ORDERs from the kernel's order
      manager (:mod:`engines.order_manager`), which also does OCO / OUO;
    - ``modify(cmd, ctx)``: a MODIFY_ORDER that passed risk (NULL_I64 fields mean "keep");
    - ``cancel(cmd, ctx)``: a CANCEL_ORDER of an order the cache knows to be open or in flight;
    - ``cancel_all(cmd, ctx)``: a CANCEL_ALL_ORDERS (``cmd.side`` NO_SIDE means both sides).
    """

    venue: str
    account_id: int

    def submit(self, cmd: Any, ctx: KernelContext) -> None: ...

    def submit_order_list(self, cmd: Any, orders: list[Any], ctx: KernelContext) -> None: ...

    def modify(self, cmd: Any, ctx: KernelContext) -> None: ...

    def cancel(self, cmd: Any, ctx: KernelContext) -> None: ...

    def cancel_all(self, cmd: Any, ctx: KernelContext) -> None: ...


def venue_of(ctx: KernelContext, instrument_id: int) -> str:
    """Returns the venue part of an interned ``SYMBOL.VENUE`` id."""
    return ctx.text(instrument_id).rpartition(".")[2]


class ExecutionEngine(Reactor):
    """Routes commands to venues and emits position events from fills."""

    handles = (int(Kind.CANCEL_ORDER), int(Kind.CANCEL_ALL_ORDERS), int(Kind.ORDER_FILLED),
               *_CLOSING)

    def __init__(self, component_id: str = "ExecEngine") -> None:
        super().__init__(component_id)
        self._source_id = 0
        self._order_position: dict[int, int] = {}
        self._ctx: Any = None
        # instrument id -> venue, valid for one string table (ids are never redefined in one).
        self._venues: dict[int, str] = {}
        self._venues_of: Any = None

    def on_register(self, kernel: Any) -> None:
        """Binds the kernel context (its cache holds the positions)."""
        self._ctx = kernel.ctx

    # --- read access ----------------------------------------------------------------------------
    def position(self, position_id: int) -> Position | None:
        """Returns the cache's position (as of the record being handled), or None."""
        cache = self._ctx.cache if self._ctx is not None else None
        return cache.position(position_id) if cache is not None else None

    def position_id_of(self, client_order_id: int) -> int:
        """Returns the position an order's fills apply to (0 when not yet routed)."""
        return self._order_position.get(client_order_id, 0)

    #: This component's interned id (the kernel sets it at registration).
    source_id: int = 0

    def _src(self, ctx: KernelContext) -> int:
        """Returns the interned id of this component (interning it when not registered)."""
        if not self.source_id:
            self.source_id = self._source_id or ctx.intern(self.component_id)
        return self.source_id

    def venue(self, ctx: KernelContext, instrument_id: int) -> str:
        """Returns :func:`venue_of` the instrument, remembered per id (the text of an interned
        id never changes in one string table; the risk engine asks on every submit)."""
        if ctx.strings is not self._venues_of:
            self._venues, self._venues_of = {}, ctx.strings
        venue = self._venues.get(instrument_id)
        if venue is None:
            venue = self._venues[instrument_id] = venue_of(ctx, instrument_id)
        return venue

    # --- commands from risk ---------------------------------------------------------------------
    def resolve_position_id(self, ctx: KernelContext, cmd: Any, order: Any = None) -> int:
        """Returns the position id for a SUBMIT_ORDER (see the module contract); ``order``: the
        cache's order of the command when the caller has it (else it is looked up)."""
        if order is None:
            order = ctx.cache.order(cmd.client_order_id)
        if order is None:
            return cmd.position_id or netting_position_id(cmd.instrument_id, cmd.strategy_id)
        return int(ctx.cache.trading.position_id_for(order, cmd.position_id))

    def execute_submit(self, cmd: Any, ctx: KernelContext, position_id: int | None = None) -> None:
        """Hands a risk-approved SUBMIT_ORDER to its venue's client, position id resolved.

        ``position_id``: what :meth:`resolve_position_id` returned for this same command (the
        risk engine's check resolved it already), else it is resolved here."""
        cmd = self._routed(cmd, ctx, position_id)
        ctx.client(self.venue(ctx, cmd.instrument_id)).submit(cmd, ctx)

    def execute_submit_list(self, cmd: Any, orders: list[Any], ctx: KernelContext) -> None:
        """Hands a risk-approved SUBMIT_ORDER_LIST and its orders to the venue's client."""
        routed = [self._routed(o, ctx) for o in orders]
        ctx.client(self.venue(ctx, cmd.instrument_id)).submit_order_list(cmd, routed, ctx)

    def execute_modify(self, cmd: Any, ctx: KernelContext) -> None:
        """Emits ORDER_PENDING_UPDATE and hands a risk-approved MODIFY_ORDER to the client."""
        client = ctx.client(self.venue(ctx, cmd.instrument_id))
        order = ctx.cache.order(cmd.client_order_id)
        ctx.emit(
            Kind.ORDER_PENDING_UPDATE, self._src(ctx), client_order_id=cmd.client_order_id,
            instrument_id=cmd.instrument_id, strategy_id=cmd.strategy_id,
            venue_order_id=order.venue_order_id,
        )
        client.modify(cmd, ctx)

    def _routed(self, cmd: Any, ctx: KernelContext, pid: int | None = None) -> Any:
        if pid is None:
            pid = self.resolve_position_id(ctx, cmd)
        self._order_position[cmd.client_order_id] = pid
        return cmd if pid == cmd.position_id else with_position_id(cmd, pid)

    # --- records --------------------------------------------------------------------------------
    def react(self, rec: Any, ctx: KernelContext) -> None:
        self._ctx = ctx
        kind = rec.kind
        if kind == _K_FILLED:
            self._on_fill(rec, ctx)
        elif kind in _CLOSING:
            self._order_position.pop(rec.client_order_id, None)
        elif kind == _K_CANCEL:
            self._on_cancel(rec, ctx)
        else:
            self._on_cancel_all(rec, ctx)

    def _on_cancel(self, rec: Any, ctx: KernelContext) -> None:
        order = ctx.cache.order(rec.client_order_id)
        venue_order_id = order.venue_order_id if order is not None else 0
        if order is None:
            reason = Reason.CANCEL_UNKNOWN.value
        elif order.is_closed:
            reason = Reason[f"CANCEL_CLOSED_{order.status.name}"].value
        elif (status := projected_status(ctx, order)) in CLOSED_STATUSES:
            reason = Reason[f"CANCEL_CLOSING_{status.name}"].value
        elif status == _ST_INITIALIZED and (order.parent_order_id
                                                    or order.emulation_trigger is not None):
            # An OTO child held by the order manager or an order held by the emulator: it
            # never reached a venue.
            _CANCELED.emit(ctx, self._src(ctx), rec.client_order_id, rec.instrument_id,
                           rec.strategy_id, 0)
            return
        elif status == _ST_INITIALIZED:
            reason = Reason.CANCEL_NEVER_SUBMITTED.value
        else:
            if rec.instrument_id != order.instrument_id:
                # asked before the strategy's cache had the order (same callback as its submit)
                rec = rec._replace(instrument_id=order.instrument_id)
            try:
                client = ctx.client(self.venue(ctx, rec.instrument_id))
            except UnknownClientError as exc:
                reason = f"cancel: {exc}"
            else:
                _PENDING_CANCEL.emit(ctx, self._src(ctx), rec.client_order_id,
                                     rec.instrument_id, rec.strategy_id, venue_order_id)
                client.cancel(rec, ctx)
                return
        ctx.emit(
            Kind.ORDER_CANCEL_REJECTED, self._src(ctx), client_order_id=rec.client_order_id,
            instrument_id=rec.instrument_id, strategy_id=rec.strategy_id,
            venue_order_id=venue_order_id, reason_id=ctx.intern(reason),
        )

    def _on_cancel_all(self, rec: Any, ctx: KernelContext) -> None:
        trading = ctx.cache.trading
        at_venue = []  # (order, status as of this cascade's events) of the others
        for coid in tuple(trading.orders_by_strategy.get(rec.strategy_id, ())):
            order = trading.orders[coid]
            if order.instrument_id != rec.instrument_id or rec.side not in (0, int(order.side)):
                continue
            status = projected_status(ctx, order)
            if order.is_held_in_kernel and status == OrderStatus.INITIALIZED:
                _CANCELED.emit(ctx, self._src(ctx), coid, order.instrument_id,
                               order.strategy_id, 0)
            else:
                at_venue.append((order, status))
        try:
            client = ctx.client(self.venue(ctx, rec.instrument_id))
        except UnknownClientError:
            return  # nothing can be open on a venue without a client
        for order, status in at_venue:
            if status in _VENUE_CANCELABLE:
                _PENDING_CANCEL.emit(ctx, self._src(ctx), order.client_order_id,
                                     order.instrument_id, order.strategy_id,
                                     order.venue_order_id)
        client.cancel_all(rec, ctx)

    def _on_fill(self, rec: Any, ctx: KernelContext) -> None:
        trading = ctx.cache.trading
        effect_of = trading.last_fill_effect
        if effect_of is None or effect_of[2] != rec.seq:
            raise ExecutionError(
                f"seq {rec.seq}: ORDER_FILLED reached the execution engine before the cache "
                f"applied it (the cache must be registered in the state stage)"
            )
        pid, effect, _ = effect_of
        pos = trading.positions[pid]
        self._order_position.setdefault(rec.client_order_id, pid)
        src = self.source_id or self._src(ctx)
        if effect == _FLIPPED:
            ctx.emit(Kind.POSITION_CLOSED, src, **pos.closed_fields)
            effect = _OPENED
        _POSITION_EMITTERS[effect].emit(ctx, src, *pos.field_values())
        # ``trading.accounts`` is what ``cache.account`` reads; one call less per fill.
        account = trading.accounts.get(rec.account_id) if rec.account_id else None
        if account is not None:
            emit_after_fill(account, ctx, src, rec, pos)
        order = ctx.cache.trading.orders.get(rec.client_order_id)
        if order is None or order.status == _ST_FILLED:
            self._order_position.pop(rec.client_order_id, None)

    # --- state ---------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {"order_position": sorted(self._order_position.items())}

    def restore(self, doc: dict[str, Any]) -> None:
        self._order_position = {int(k): int(v) for k, v in doc["order_position"]}

    def digest(self, h: Any) -> None:
        for coid, pid in sorted(self._order_position.items()):
            h.update(coid.to_bytes(8, "little") + pid.to_bytes(8, "little"))

    def on_reset(self) -> None:
        self._order_position = {}


_POSITION_EMITTERS = {
    effect: RecordEmitter(kind, POSITION_FIELD_NAMES) for effect, kind in (
        (PositionEffect.OPENED, Kind.POSITION_OPENED),
        (PositionEffect.CHANGED, Kind.POSITION_CHANGED),
        (PositionEffect.CLOSED, Kind.POSITION_CLOSED),
    )
}


_REF_NAMES = ("client_order_id", "instrument_id", "strategy_id", "venue_order_id")
_CANCELED = RecordEmitter(Kind.ORDER_CANCELED, _REF_NAMES)
_PENDING_CANCEL = RecordEmitter(Kind.ORDER_PENDING_CANCEL, _REF_NAMES)

_POSITION_INDEX: dict[type, int] = {}


def with_position_id(cmd: Any, position_id: int) -> Any:
    """Returns the command namedtuple with ``position_id`` replaced (what ``cmd._replace``
    returns). Built as one tuple: ``_replace`` costs a keyword dict and a ``map`` per call, and
    every market order of a netting strategy is routed through here."""
    cls = type(cmd)
    i = _POSITION_INDEX.get(cls)
    if i is None:
        i = _POSITION_INDEX[cls] = cls._fields.index("position_id")
    return tuple.__new__(cls, (*cmd[:i], position_id, *cmd[i + 1:]))


__all__ = ["ExecutionClient", "ExecutionEngine", "ExecutionError", "netting_position_id", "venue_of"]
