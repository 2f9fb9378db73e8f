"""The risk engine: pre-trade checks between strategies and the execution engine.

Design contract:
- handles SUBMIT_ORDER, SUBMIT_ORDER_LIST, MODIFY_ORDER and SET_TRADING_STATE; every submit is
  either denied (one ORDER_DENIED per order, with an interned reason naming the check, field and
  value; see :mod:`engines.risk_checks`; a reason with numbers is a template, its numbers in a
  REASON_ARGS record just before the refusal: :mod:`engines.reasons`) or forwarded: ORDER_SUBMITTED (with the venue client's
  account id), then the command goes to :class:`engines.execution.ExecutionEngine`;
- a SUBMIT_ORDER_LIST is all or nothing; its OTO children (orders whose parent is in the list)
  and its emulated orders are checked for their own values only and held (not forwarded): the
  order manager (:mod:`engines.order_manager`) releases children as SUBMIT_ORDERs when the
  parent fills, the emulator (:mod:`engines.emulator`) emulated orders when triggered, and they
  are checked in full then;
- a SUBMIT_ORDER of an order that already left INITIALIZED (a second submit, a held child
  canceled before its release) is dropped: the state machine has no event for it;
- a modify of a held OTO child that passes the checks is applied here (ORDER_UPDATED); a
  modify of an unknown or closed order, or one that fails a check, becomes an
  ORDER_MODIFY_REJECTED with a reason; nothing here raises for a bad command;
- decisions count what this engine forwarded but the cache has not applied yet (several submits
  in one batch): in-flight orders add to the open-order count and their cash / margin to the
  balance needed, until the cache shows the order accepted (or its funds locked); an order is
  checked against the position the orders already sent to it will leave
  (:mod:`engines.risk_margin`), so on a margin account a flip needs margin for the new side;
- reactor state (trading state, the submit timestamps in the rate window, in-flight orders) is
  carried by ``snapshot`` / ``restore`` / ``digest``; time is ``ctx.now_ns`` (the command's
  ``ts_init``), never the wall clock.

Cache interface used: ``instrument(instrument_id)``, ``order(client_order_id)``,
``quote(instrument_id)`` (with ``bid`` / ``ask`` raw), ``orders(strategy_id=, instrument_id=,
open_only=)``, ``account(account_id)``, ``position(position_id)`` (the position the execution
engine routes the order to, read as of the command).
"""

from __future__ import annotations

from typing import Any

from domain.accounts import CashAccount, MarginAccount
from domain.currencies import Currency
from domain.enums import OrderSide, TradingState
from domain.instruments import Instrument
from domain.kinds import Kind
from domain.order_fsm import OrderStatus
from domain.schema import NULL_I64
from engines import risk_checks as rc
from engines import risk_margin as rm
from engines.account_events import journal_rate
from engines.component import Reactor
from engines.context import KernelContext, UnknownClientError
from engines.execution import ExecutionEngine
from engines.order_projection import projected_status
from engines.reasons import Num as N
from engines.reasons import Refusal
from engines.record_emitter import RecordEmitter
from engines.risk_checks import RiskConfig
from engines.risk_inflight import Forwarded
from engines.risk_lists import list_submits
from engines.risk_modify import check_modify

# enum members read per record / order: a class attribute read costs ~70 ns, a global ~5 ns
_K_SUBMIT, _K_SUBMIT_LIST, _K_MODIFY = Kind.SUBMIT_ORDER, Kind.SUBMIT_ORDER_LIST, Kind.MODIFY_ORDER
_ST_INITIALIZED, _ACTIVE, _SELL = OrderStatus.INITIALIZED, TradingState.ACTIVE, OrderSide.SELL


class RiskEngine(Reactor):
    """Checks commands against :class:`RiskConfig` and the trading state; see the module doc."""

    handles = (
        int(Kind.SUBMIT_ORDER), int(Kind.SUBMIT_ORDER_LIST), int(Kind.MODIFY_ORDER),
        int(Kind.SET_TRADING_STATE),
    )

    def __init__(
        self, execution: ExecutionEngine, config: RiskConfig | None = None,
        component_id: str = "RiskEngine",
    ) -> None:
        super().__init__(component_id)
        self.config = config or RiskConfig()
        self.execution = execution
        self._reset_state()

    def _reset_state(self) -> None:
        self.trading_state = TradingState.ACTIVE
        self._forwarded = Forwarded()
        self._source_id = 0
        #: What the last passing ``check_submit`` looked up (coid, account id, order, instrument,
        #: valuation price, position id, projected position), reused by ``_forward`` and the execution engine's
        #: routing of that same command; never state.
        self._passed: tuple[int, int, Any, Instrument, int | None, int, int] | None = None

    def on_reset(self) -> None:
        self._reset_state()

    def _src(self, ctx: KernelContext) -> int:
        if not self._source_id:
            self._source_id = ctx.intern(self.component_id)
        return self._source_id

    # --- dispatch -------------------------------------------------------------------------------
    def react(self, rec: Any, ctx: KernelContext) -> None:
        kind = rec.kind
        if kind == _K_SUBMIT:
            self._on_submit(rec, ctx)
        elif kind == _K_SUBMIT_LIST:
            self._on_submit_list(rec, ctx)
        elif kind == _K_MODIFY:
            self._on_modify(rec, ctx)
        else:
            self.trading_state = TradingState(rec.state)

    def _on_submit(self, cmd: Any, ctx: KernelContext) -> None:
        self._prune(ctx)
        self._passed = None
        reason = self.check_submit(cmd, ctx, extra_open=0)
        if reason is not None:
            self._deny(cmd, reason, ctx)
            return
        passed = self._passed
        self._forward(cmd, ctx, passed)
        self.execution.execute_submit(cmd, ctx, passed[5] if passed is not None else None)

    def _on_submit_list(self, cmd: Any, ctx: KernelContext) -> None:
        self._prune(ctx)
        orders, subs = list_submits(ctx.cache, cmd)
        reason = None
        if len(orders) != cmd.n_orders:
            reason = Refusal.of("order list ", N(cmd.order_list_id), ": n_orders ",
                                N(cmd.n_orders), " but ", N(len(orders)), " orders initialized")
        ids = {o.client_order_id for o in orders}
        roots = []
        for o, sub in zip(orders, subs, strict=True):
            if reason is not None:
                break
            # held in the kernel: OTO children until the parent's fill, emulated orders until
            # their trigger
            is_held = o.parent_order_id in ids or o.emulation_trigger is not None
            n_roots = len(roots)
            why = self.check_submit(sub, ctx, extra_open=n_roots, rate_extra=n_roots,
                                    held_child=is_held)
            if not is_held:
                roots.append(sub)
            if why is not None:
                reason = why.within("order list ", N(cmd.order_list_id), ": order ",
                                    N(sub.client_order_id), ": ")
        if reason is not None:
            self._deny_all(subs, reason, ctx)
            return
        for sub in roots:
            self._forward(sub, ctx)
        if roots:
            self.execution.execute_submit_list(cmd, roots, ctx)

    # --- checks ---------------------------------------------------------------------------------
    def check_submit(
        self, cmd: Any, ctx: KernelContext, extra_open: int = 0, rate_extra: int = 0,
        held_child: bool = False,
    ) -> Refusal | None:
        """Returns the denial reason of a SUBMIT_ORDER, or None when it passes every check.

        ``held_child``: an OTO child of a list, held by the order manager until its parent
        fills, or an emulated order of a list, held by the emulator until its trigger: only
        the order's own values are checked now (quantity, prices, max quantity); reduce-only,
        price collar, notional, balance, open orders and rate are checked when it is released,
        against the position its parent's fill produced.

        The checks run in a fixed order and the first failing one gives the reason. A check is
        not called where it cannot fail (an ACTIVE trading state, an unset price, a limit not
        configured): that is the usual market order, submitted once per signal."""
        cache = ctx.cache
        coid = cmd.client_order_id
        order = cache.order(coid)
        if order is None:
            return Refusal.of("unknown order: client_order_id ", N(coid), " was never initialized")
        if order.status != _ST_INITIALIZED:
            return Refusal.of("order ", N(coid), f" already {order.status.name}: submit ignored")
        if order.parent_order_id and (status := projected_status(ctx, order)) != order.status:
            # a released OTO child canceled while its release was in flight
            return Refusal.of("order ", N(coid), f" already {status.name}: submit ignored")
        iid = cmd.instrument_id
        inst = cache.instrument(iid)
        if inst is None:
            text = ctx.strings.get(iid, "?")
            return Refusal.of(f"unknown instrument: {text} (id {iid}) has no INSTRUMENT record")
        execution = self.execution
        try:
            client = ctx.client(execution.venue(ctx, iid))
        except UnknownClientError as exc:
            return Refusal.of(f"routing: {exc}")
        pid = execution.resolve_position_id(ctx, cmd, order)
        pos = cache.position(pid)  # what ``execution.position`` reads
        held_now = pos.signed_raw if pos is not None else 0
        # checked against the position the orders already sent to it will leave (risk_margin);
        # a held child's checks never read it (cash holdings and balance are checked at release)
        held = held_now if held_child else \
            held_now + rm.pending_raw(cache, order, pid, self._forwarded.unapplied)
        qty = order.quantity_raw
        # the trading state and reduce-only judge the position as it is; cash holdings and
        # margin the position the orders in flight will leave
        reduces_now = rc.reduces_position(order.side, qty, held_now)
        reduces = reduces_now if held == held_now else rc.reduces_position(order.side, qty, held)
        cfg = self.config
        reason = None
        if self.trading_state != _ACTIVE:
            reason = rc.check_trading_state(self.trading_state, reduces_now)
        reason = reason or rc.check_quantity(inst, qty, order.size_precision)
        if reason is None and order.price_raw is not None:
            reason = rc.check_price(inst, "price", order.price_raw, order.price_precision)
        if reason is None and order.trigger_price_raw is not None:
            reason = rc.check_price(
                inst, "trigger_price", order.trigger_price_raw, order.price_precision)
        if reason is None and cfg.max_order_qty:
            reason = rc.check_max_qty(inst, cfg, qty)
        if reason is None and order.is_reduce_only and not held_child:
            reason = rc.check_reduce_only(order.side, qty, held_now, inst.size_precision)
        if reason is None and not held_child and order.side == _SELL and qty > held:
            account = cache.account(client.account_id)
            if isinstance(account, CashAccount):
                held_base = rc.base_holding_raw(inst, account)
                reason = rc.check_cash_holding(inst, cfg, order.side, qty, held + held_base)
        if reason is not None or held_child:
            return reason
        quote = cache.quote(iid)  # ``rc.touch_of``'s first answer, without its call
        if quote is None:
            quote = rc.touch_of(cache, iid)
        if cfg.price_collar_pct is not None and quote is not None:
            mid2 = quote.bid + quote.ask
            reason = rc.check_collar(inst, cfg, "price", order.price_raw, mid2) or rc.check_collar(
                inst, cfg, "trigger_price", order.trigger_price_raw, mid2
            )
            if reason is not None:
                return reason
        px = rc.valuation_price(order, quote)
        need_value = cfg.check_balance or (
            bool(cfg.max_notional_per_order) and bool(cfg.max_notional_per_order.get(str(inst.id))))
        if px is None and need_value and not reduces_now:
            return Refusal.of(f"valuation: no price for {order.order_type.name} order: no quote "
                              f"or book for {inst.id}")
        if px is not None:
            # The notional is valued only for a limit, and for an inverse instrument, whose
            # notional refuses a price <= 0 (an InstrumentError, raised here as it always was).
            if cfg.max_notional_per_order or inst.is_inverse:
                reason = rc.check_max_notional(inst, cfg, inst.notional_raw(qty, px))
            if reason is None and cfg.check_balance and not reduces:
                reason = self._check_balance(inst, order, px, client.account_id, ctx,
                                             (pid, held_now, held))
            if reason is not None:
                return reason
        if cfg.max_open_orders is not None:
            # Counted only when limited: O(orders not closed), never O(orders ever seen).
            n_live = len(cache.live_orders(iid))
            n_unapplied = self._forwarded.n_unapplied(cache, iid)
            reason = rc.check_open_orders(inst, cfg, n_live + extra_open + n_unapplied)
            if reason is not None:
                return reason
        if cfg.max_submit_rate is not None:
            reason = rc.check_rate(cfg, [*self._forwarded.recent, *([ctx.now_ns] * rate_extra)], ctx.now_ns)
        if reason is None:
            self._passed = (coid, client.account_id, order, inst, px, pid, held)
        return reason

    def _check_balance(
        self, inst: Instrument, order: Any, px: int, account_id: int, ctx: KernelContext,
        position: tuple[int, int, int],
    ) -> Refusal | None:
        """``position``: (position id, its signed quantity now, projected before this order)."""
        account = ctx.cache.account(account_id)
        if account is None:
            return None  # no account known: nothing to check against (e.g. a data-only run)
        pid, held_now, held = position
        need = rm.lock_need(account, inst, order, px, held, ctx.cache)
        if isinstance(need, str):
            return Refusal.of(need)
        code, need_raw, _ = need
        pending = self._forwarded.pending_lock_raw(account_id)
        free = account.free_raw(code) - pending
        released = 0
        if isinstance(account, MarginAccount):
            after = held + rm.signed(order.side, order.quantity_raw)
            released = rm.released_raw(account.position_margin_raw(pid), held_now, after)
        if need_raw <= free + released:  # passes: no account text needed
            return None
        text = ctx.strings.get(account_id, str(account_id))
        if isinstance(account, MarginAccount):
            return rc.check_margin(Currency.from_packed(code), need_raw, free, released, text)
        return rc.check_balance(inst, need_raw, free, text)

    # --- decisions ------------------------------------------------------------------------------
    def _deny(self, cmd: Any, reason: Refusal, ctx: KernelContext) -> None:
        self._deny_all((cmd,), reason, ctx)

    def _deny_all(self, cmds: Any, reason: Refusal, ctx: KernelContext) -> None:
        """ORDER_DENIED (after its STRING / REASON_ARGS) for each command whose order is still
        INITIALIZED once this cascade's events apply; ``reason`` is interned once for all."""
        cache = ctx.cache
        prepared = None
        for cmd in cmds:
            coid = cmd.client_order_id
            order = cache.order(coid)
            if order is not None and projected_status(ctx, order) != _ST_INITIALIZED:
                continue  # a second submit of an order already on its way: no event applies
            src = self._source_id or self._src(ctx)
            if prepared is None:
                prepared = self._intern_reason(reason, ctx)  # its STRING first, if new
            _DENIED.emit(ctx, src, coid, cmd.instrument_id, cmd.strategy_id,
                         self._emit_args(prepared, coid, ctx))

    def _reason(self, reason: Refusal, client_order_id: int, ctx: KernelContext) -> int:
        """Interns the reason of a refusal about to be emitted and returns its id: its template,
        with a REASON_ARGS record of its numbers emitted now, else its text (see
        :mod:`engines.reasons`)."""
        return self._emit_args(self._intern_reason(reason, ctx), client_order_id, ctx)

    def _intern_reason(self, reason: Refusal, ctx: KernelContext) -> tuple[int, Any, tuple]:
        """Returns (reason id, REASON_ARGS emitter or None, its number values) of ``reason``,
        interning its template (or, not shared, its text)."""
        template, numbers, shared = reason.split()
        if not numbers or not shared:
            return ctx.intern(reason.text()), None, ()
        values = (*[n[1] for n in numbers], *[n[0] for n in numbers])  # precisions, raws
        return ctx.intern(template), _reason_args_emitter(len(numbers)), values

    def _emit_args(self, prepared: tuple[int, Any, tuple], client_order_id: int,
                   ctx: KernelContext) -> int:
        """Emits the REASON_ARGS of a prepared reason (when it has numbers); returns its id."""
        reason_id, emitter, values = prepared
        if emitter is not None:
            emitter.emit(ctx, self._source_id or self._src(ctx), client_order_id, reason_id,
                         *values)
        return reason_id

    def _forward(self, cmd: Any, ctx: KernelContext, passed: tuple | None = None) -> None:
        """ORDER_SUBMITTED, and the order's lock noted in flight. ``passed``: what the check of
        this same command looked up (nothing changed since), else looked up again."""
        held = None
        if passed is not None and passed[0] == cmd.client_order_id:
            _, account_id, order, inst, px, _, held = passed
        else:
            account_id = ctx.client(self.execution.venue(ctx, cmd.instrument_id)).account_id
            order = ctx.cache.order(cmd.client_order_id)
            inst = ctx.cache.instrument(cmd.instrument_id)
            px = rc.valuation_price(order, rc.touch_of(ctx.cache, cmd.instrument_id))
        _SUBMITTED.emit(ctx, self._source_id or self._src(ctx), cmd.client_order_id,
                        cmd.instrument_id, cmd.strategy_id, account_id)
        lock = 0
        account = ctx.cache.account(account_id)
        if account is not None and px is not None:
            need = rm.lock_need(account, inst, order, px, held, ctx.cache)
            if not isinstance(need, str):
                lock = need[1]
                if need[2] is not None:
                    journal_rate(account, inst, need[2], ctx, self._src(ctx))
        self._forwarded.note(cmd.client_order_id, cmd.instrument_id, account_id, lock, ctx.now_ns)

    def _prune(self, ctx: KernelContext) -> None:
        self._forwarded.prune(ctx.cache, ctx.now_ns, self.config.max_submit_rate)

    def _on_modify(self, cmd: Any, ctx: KernelContext) -> None:
        reason = self.check_modify(cmd, ctx)
        if reason is None:
            order = ctx.cache.order(cmd.client_order_id)
            if order.status == OrderStatus.INITIALIZED:  # a held OTO child: changed here
                self._update_held(cmd, order, ctx)
                return
            self.execution.execute_modify(cmd, ctx)
            return
        order = ctx.cache.order(cmd.client_order_id)
        ctx.emit(
            Kind.ORDER_MODIFY_REJECTED, self._src(ctx), client_order_id=cmd.client_order_id,
            instrument_id=cmd.instrument_id, strategy_id=cmd.strategy_id,
            venue_order_id=order.venue_order_id if order is not None else 0,
            reason_id=self._reason(reason, cmd.client_order_id, ctx),
        )

    def _update_held(self, cmd: Any, order: Any, ctx: KernelContext) -> None:
        """ORDER_UPDATED of a held OTO child (NULL fields keep the order's values)."""
        def keep(new: int, old: int | None) -> int:
            return (NULL_I64 if old is None else old) if new == NULL_I64 else new

        ctx.emit(Kind.ORDER_UPDATED, self._src(ctx), client_order_id=cmd.client_order_id,
                 instrument_id=order.instrument_id, strategy_id=order.strategy_id,
                 venue_order_id=0, price_precision=order.price_precision,
                 size_precision=order.size_precision,
                 quantity=keep(cmd.quantity, order.quantity_raw),
                 price=keep(cmd.price, order.price_raw),
                 trigger_price=keep(cmd.trigger_price, order.trigger_price_raw))

    def check_modify(self, cmd: Any, ctx: KernelContext) -> Refusal | None:
        """Returns the rejection reason of a MODIFY_ORDER, or None when it may go to the venue
        (see :func:`engines.risk_modify.check_modify`)."""
        return check_modify(self.config, self.trading_state, cmd, ctx)

    # --- state ----------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {
            "trading_state": int(self.trading_state),
            **self._forwarded.snapshot(),
        }

    def restore(self, doc: dict[str, Any]) -> None:
        self.trading_state = TradingState(doc["trading_state"])
        self._forwarded.restore(doc)

    def digest(self, h: Any) -> None:
        h.update(repr(sorted(self.snapshot().items())).encode())


_DENIED = RecordEmitter(
    int(Kind.ORDER_DENIED), ("client_order_id", "instrument_id", "strategy_id", "reason_id"))
_SUBMITTED = RecordEmitter(
    Kind.ORDER_SUBMITTED, ("client_order_id", "instrument_id", "strategy_id", "account_id"))
_ARGS_EMITTERS: dict[int, RecordEmitter] = {}


def _reason_args_emitter(n: int) -> RecordEmitter:
    """The REASON_ARGS emitter of ``n`` numbers: order id, reason id, p0.., a0.. (offset order)."""
    emitter = _ARGS_EMITTERS.get(n)
    if emitter is None:
        emitter = _ARGS_EMITTERS[n] = RecordEmitter(int(Kind.REASON_ARGS), (
            "client_order_id", "reason_id", *(f"p{i}" for i in range(n)),
            *(f"a{i}" for i in range(n))))
    return emitter
