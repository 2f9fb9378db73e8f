"""The simulated exchange: a Reactor in the ``engines`` stage and the execution client of a venue.

Design contract:
- commands reach the venue ``LatencyModel.command_ns`` after they are processed: at once when 0,
  otherwise through a DISPATCH record (``ref_seq`` = the command's seq, ``target_id`` = this
  component's interned id) scheduled at ``now + latency``; the command's fields wait in reactor
  state keyed by that seq;
- the venue decides and emits ORDER_* events (see :mod:`engines.exchange.flow` and
  :mod:`engines.exchange.data`); it never mutates the cache; its own state (open orders in
  acceptance order, commands in flight, expiry timers, L3 queues, consumed liquidity, id
  counters, the fill model's generator) round-trips through ``snapshot`` / ``restore`` and is
  hashed by ``digest`` in a canonical order;
- venue order ids and trade ids come from counters starting at 1;
- ``reacts_to`` is True for DISPATCH and for market data of instruments with open orders here;
  ``ctx.reactions_changed(kinds, self)`` (the kinds it handles, itself as the one component whose
  answers changed) is called at the end of the command or
  reaction that changed that set (not for an order that opens and closes within one command).
"""

from __future__ import annotations

import json
from typing import Any

from domain.digest import blake2b
from domain.enums import BookAction, BookLevel, TimeInForce
from domain.kinds import Kind
from engines.component import Reactor
from engines.context import KernelContext
from engines.exchange import data, flow, immediate
from engines.exchange.config import ExchangeConfig
from engines.exchange.fill_model import FillModel
from engines.exchange.latency import Operation
from engines.exchange.market import CacheView, ConsumedLiquidity, VenueState
from engines.exchange.matching import day_end_ns
from engines.exchange.venue_order import VenueOrder
from engines.record_emitter import RecordEmitter

_SUBMIT = Operation.SUBMIT  # read per order: an enum class attribute costs ~0.3 µs
_MODIFY, _CANCEL = Operation.MODIFY, Operation.CANCEL
_GTD, _DAY = TimeInForce.GTD, TimeInForce.DAY

_K_DISPATCH, _K_QUOTE = Kind.DISPATCH, Kind.QUOTE  # read per record, as ``_SUBMIT``


class ExchangeError(RuntimeError):
    """A broken invariant between the exchange and the log (e.g. a submit for an unknown order)."""


class SimulatedExchange(Reactor):
    """One simulated venue. Register it in the ``engines`` stage and as the venue's client."""

    handles = (Kind.QUOTE, Kind.TRADE, Kind.BOOK_DELTA, Kind.DISPATCH)

    def __init__(self, config: ExchangeConfig, component_id: str = "") -> None:
        super().__init__(component_id or f"exchange-{config.venue}")
        self.config = config
        self.level = config.book_level
        self.fill_model = FillModel(config.prob_fill_at_limit, config.seed)
        self.consumed = ConsumedLiquidity()
        self.orders: dict[int, VenueOrder] = {}
        self.inflight: dict[int, tuple[int, dict[str, Any]]] = {}
        self.expiry: dict[int, int] = {}
        self.active: dict[int, int] = {}
        #: Instruments whose ``reacts_to`` answer flipped during the current command / reaction.
        self._flips: set[int] = set()
        #: The kinds whose ``reacts_to`` answers a flip changes (those it handles).
        self._flip_kinds = frozenset(int(k) for k in self.handles)
        self.next_venue_order_id = 1
        self.next_trade_id = 1
        #: The venue name (``SYMBOL.VENUE``) and the interned account its fills book to.
        self.venue: str = config.venue
        self.account_id: int = 0
        #: This component's interned id (set by the kernel at registration, else on first use).
        self.source_id: int = 0
        self._views: tuple[Any, VenueState] | None = None

    # --- ids and views --------------------------------------------------------------------------
    def on_register(self, kernel: Any) -> None:
        """Interns the account id and registers this exchange as the venue's execution client."""
        self.account_id = kernel.ctx.intern(self.config.account_name, self.source_id)
        kernel.ctx.register_client(self.venue, self)

    def sid(self, ctx: KernelContext) -> int:
        """Returns this component's interned id (interning it on first use outside a kernel)."""
        if not self.source_id:
            self.source_id = ctx.intern(self.component_id)
        return self.source_id

    def account(self, ctx: KernelContext) -> int:
        """Returns the interned id of the venue's account (interning it on first use)."""
        if not self.account_id:
            self.account_id = ctx.intern(self.config.account_name, self.sid(ctx))
        return self.account_id

    def view(self, ctx: KernelContext) -> VenueState:
        """Returns the read-only state the venue matches against (``config.view`` or the cache)."""
        factory = self.config.view
        if factory is not None:
            return factory(ctx)
        views = self._views
        if views is None or views[0] is not ctx.cache:
            views = self._views = (ctx.cache, CacheView(ctx.cache))
        return views[1]

    # --- ExecutionClient ------------------------------------------------------------------------
    def submit(self, rec: Any, ctx: KernelContext) -> None:
        """Takes a SUBMIT_ORDER command (raw tuple); the order must be in the cache."""
        view = self.view(ctx)
        order = view.order(rec.client_order_id)
        if order is None:
            raise ExchangeError(
                f"seq {rec.seq}: SUBMIT_ORDER for client_order_id {rec.client_order_id}, which the "
                "cache does not hold (no ORDER_INITIALIZED before it)")
        latency = self.config.latency.command_ns(_SUBMIT)
        if latency == 0:  # the hot path: no round trip of the order through plain data
            if not immediate.fill_at_touch(self, ctx, view, order, rec.position_id):
                flow.on_submit(self, ctx, VenueOrder.from_order(order, rec.position_id, rec.seq))
            self._settle(ctx)
            return
        vo = VenueOrder.from_order(order, rec.position_id, rec.seq)
        self._delay(ctx, _SUBMIT, rec.seq, latency, {"order": vo.to_doc()})

    def submit_order_list(self, rec: Any, orders: list[Any], ctx: KernelContext) -> None:
        """Takes the SUBMIT_ORDER tuples of a list's orders without a parent, in list order;
        each is matched on its own (contingencies are the kernel's order manager's)."""
        for cmd in orders:
            self.submit(cmd, ctx)

    def modify(self, rec: Any, ctx: KernelContext) -> None:
        """Takes a MODIFY_ORDER command (NULL fields keep the order's values)."""
        self._command(ctx, _MODIFY, rec.seq, {
            "client_order_id": rec.client_order_id, "instrument_id": rec.instrument_id,
            "strategy_id": rec.strategy_id, "quantity": rec.quantity, "price": rec.price,
            "trigger_price": rec.trigger_price})

    def cancel(self, rec: Any, ctx: KernelContext) -> None:
        """Takes a CANCEL_ORDER command."""
        self._command(ctx, _CANCEL, rec.seq, {
            "client_order_id": rec.client_order_id, "instrument_id": rec.instrument_id,
            "strategy_id": rec.strategy_id})

    def cancel_all(self, rec: Any, ctx: KernelContext) -> None:
        """Takes a CANCEL_ALL_ORDERS command (side NO_SIDE: both sides)."""
        self._command(ctx, _CANCEL, rec.seq, {
            "all": True, "instrument_id": rec.instrument_id, "strategy_id": rec.strategy_id,
            "side": rec.side})

    def _command(self, ctx: KernelContext, op: Operation, seq: int, doc: dict[str, Any]) -> None:
        latency = self.config.latency.command_ns(op)
        if latency == 0:
            self._arrive(ctx, op, doc)
            return
        self._delay(ctx, op, seq, latency, doc)

    def _delay(self, ctx: KernelContext, op: Operation, seq: int, latency: int,
               doc: dict[str, Any]) -> None:
        """Keeps the command's ``doc`` in flight and schedules its DISPATCH at now + latency."""
        self.inflight[seq] = (int(op), doc)
        sid = self.sid(ctx)
        ctx.schedule_kind(ctx.now_ns + latency, Kind.DISPATCH, sid, ref_seq=seq, target_id=sid)

    def _arrive(self, ctx: KernelContext, op: int, doc: dict[str, Any]) -> None:
        if op == _SUBMIT:
            flow.on_submit(self, ctx, VenueOrder.from_doc(doc["order"]))
        elif op == _MODIFY:
            flow.on_modify(self, ctx, doc)
        elif doc.get("all"):
            flow.on_cancel_all(self, ctx, doc)
        else:
            flow.on_cancel(self, ctx, doc)
        self._settle(ctx)

    # --- the reactor ----------------------------------------------------------------------------
    def reacts_to(self, kind: int, instrument_id: int) -> bool:
        """True for DISPATCH, and for data of instruments with open orders at this venue."""
        return kind == _K_DISPATCH or instrument_id in self.active

    def react(self, rec: Any, ctx: KernelContext) -> None:
        """Handles a DISPATCH addressed here, or market data of an instrument with open orders."""
        kind = rec.kind
        if kind == _K_DISPATCH:
            self._on_dispatch(rec, ctx)
        elif rec.instrument_id not in self.active:
            return
        elif kind == _K_QUOTE:
            data.on_quote(self, ctx, rec)
        elif kind == Kind.TRADE:
            data.on_trade(self, ctx, rec.instrument_id, rec.price, rec.size, rec.aggressor_side)
        elif rec.action == BookAction.TRADE:
            data.on_trade(self, ctx, rec.instrument_id, rec.price, rec.size, rec.side)
        elif self.level == BookLevel.L3 and rec.level == BookLevel.L3:
            data.on_l3_delta(self, ctx, rec)
        elif self.level == BookLevel.L2 and rec.level == BookLevel.L2:
            data.on_l2_delta(self, ctx, rec)
        self._settle(ctx)

    # --- quiet runs (engines/quiet.py) ----------------------------------------------------------
    def quiet_count(self, kind: int, run: Any, ctx: KernelContext) -> int:
        """QUOTE runs only: the leading quotes that move none of the instrument's open orders
        (:func:`engines.exchange.data.quiet_quotes`, which mirrors ``data.on_quote``)."""
        if kind != _K_QUOTE or type(self).react is not SimulatedExchange.react:
            return 0
        iid = run.column("instrument_id")[run.start]
        if iid not in self.active:
            return len(run)  # ``react`` returns at once for an instrument without open orders
        return data.quiet_quotes(self, iid, run.column("bid"), run.column("ask"), run.start,
                                 run.stop)

    def skip_quiet(self, kind: int, run: Any, ctx: KernelContext) -> None:
        """A quiet QUOTE changes nothing of the venue's (``react`` would only settle, with no
        ``reacts_to`` answer flipped)."""

    def _on_dispatch(self, rec: Any, ctx: KernelContext) -> None:
        if not self.source_id or rec.target_id != self.source_id:
            return
        entry = self.inflight.pop(rec.ref_seq, None)
        if entry is not None:
            self._arrive(ctx, entry[0], entry[1])
            return
        coid = self.expiry.pop(rec.ref_seq, None)
        vo = None if coid is None else self.orders.get(coid)
        if vo is not None:
            flow.expire(self, ctx, vo)

    # --- bookkeeping shared by flow / data ------------------------------------------------------
    def open_order(self, ctx: KernelContext, vo: VenueOrder) -> None:
        """Adds an accepted order to the open orders; schedules its GTD / DAY expiry."""
        self.orders[vo.client_order_id] = vo
        n = self.active.get(vo.instrument_id, 0)
        self.active[vo.instrument_id] = n + 1
        if n == 0:
            self._flip(vo.instrument_id)
        tif = vo.time_in_force
        if tif in (_GTD, _DAY):
            ts = vo.expire_ns if tif == _GTD else day_end_ns(ctx.now_ns)
            self.expiry[vo.command_seq] = vo.client_order_id
            sid = self.sid(ctx)
            ctx.schedule_kind(ts, Kind.DISPATCH, sid, ref_seq=vo.command_seq, target_id=sid)

    def close_order(self, ctx: KernelContext, vo: VenueOrder) -> None:
        """Removes a filled / canceled / expired order from the open orders."""
        if self.orders.pop(vo.client_order_id, None) is None:
            return
        n = self.active[vo.instrument_id] - 1
        if n:
            self.active[vo.instrument_id] = n
        else:
            del self.active[vo.instrument_id]
            self._flip(vo.instrument_id)

    def _flip(self, instrument_id: int) -> None:
        """Notes that ``reacts_to`` for the instrument's data flipped (twice = no change)."""
        flips = self._flips
        if instrument_id in flips:
            flips.remove(instrument_id)
        else:
            flips.add(instrument_id)

    def _settle(self, ctx: KernelContext) -> None:
        """Ends a command or reaction: tells the kernel when some ``reacts_to`` answer changed.

        An order accepted and filled (or canceled) within one command leaves the answers as
        they were, so it costs the kernel no re-routing (a market order per signal:
        perf/backtest_run.py ``ema_cross``)."""
        if self._flips:
            self._flips.clear()
            ctx.reactions_changed(self._flip_kinds, self)

    def open_orders_of(self, instrument_id: int) -> list[VenueOrder]:
        """Returns the open orders of an instrument, in acceptance order (a copy)."""
        return [vo for vo in self.orders.values() if vo.instrument_id == instrument_id]

    def emit(self, ctx: KernelContext, kind: int, **fields: Any) -> None:
        """Emits an event at venue time, or schedules it after the response latency."""
        sid = self.sid(ctx)
        delay = self.config.latency.response_ns()
        if delay:
            ctx.schedule_kind(ctx.now_ns + delay, kind, sid, ts_event=ctx.now_ns, **fields)
        else:
            ctx.emit(kind, sid, **fields)

    def emit_values(self, ctx: KernelContext, emitter: RecordEmitter, *values: Any) -> None:
        """As :meth:`emit`, with the fields given positionally for ``emitter.names``."""
        delay = self.config.latency.response_ns()
        if delay:
            ctx.schedule_kind(ctx.now_ns + delay, emitter.kind, self.sid(ctx), ts_event=ctx.now_ns,
                              **dict(zip(emitter.names, values, strict=True)))
        else:  # the id is set at registration; ``sid`` only for an exchange used outside a kernel
            emitter.emit(ctx, self.source_id or self.sid(ctx), *values)

    # --- state ----------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Returns the venue's state as plain data (orders in acceptance order)."""
        return {
            "orders": [vo.to_doc() for vo in self.orders.values()],
            "inflight": [[seq, op, doc] for seq, (op, doc) in self.inflight.items()],
            "expiry": [[seq, coid] for seq, coid in self.expiry.items()],
            "next_venue_order_id": self.next_venue_order_id,
            "next_trade_id": self.next_trade_id,
            "consumed": self.consumed.to_doc(),
            "fill_model": self.fill_model.snapshot(),
            "source_id": self.source_id, "account_id": self.account_id,
        }

    def restore(self, doc: dict[str, Any]) -> None:
        """Replaces the venue's state with a snapshot's."""
        self.orders = {}
        self.active = {}
        self._flips = set()
        for d in doc["orders"]:
            vo = VenueOrder.from_doc(d)
            self.orders[vo.client_order_id] = vo
            self.active[vo.instrument_id] = self.active.get(vo.instrument_id, 0) + 1
        self.inflight = {int(s): (int(op), d) for s, op, d in doc["inflight"]}
        self.expiry = {int(s): int(c) for s, c in doc["expiry"]}
        self.next_venue_order_id = int(doc["next_venue_order_id"])
        self.next_trade_id = int(doc["next_trade_id"])
        self.consumed.restore(doc["consumed"])
        self.fill_model.restore(doc["fill_model"])
        self.source_id, self.account_id = int(doc["source_id"]), int(doc["account_id"])

    def digest(self, h: blake2b) -> None:
        """Feeds the canonical JSON of :meth:`snapshot` into ``h``."""
        h.update(json.dumps(self.snapshot(), sort_keys=True, separators=(",", ":")).encode())

