"""The venue's event primitives: each emits one ORDER_* record and updates the venue's copy.

Contract: every function here emits exactly the records its name says, through
``SimulatedExchange.emit`` (venue time, or after the response latency), and keeps the open-order
bookkeeping in step (a filled, canceled or expired order leaves the open orders).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.enums import LiquiditySide
from domain.kinds import Kind
from domain.schema import NULL_I64
from engines.context import KernelContext
from engines.exchange.venue_order import VenueOrder
from engines.record_emitter import RecordEmitter

if TYPE_CHECKING:
    from engines.exchange.exchange import SimulatedExchange


def _ref(vo: VenueOrder) -> dict[str, int]:
    return {"client_order_id": vo.client_order_id, "instrument_id": vo.instrument_id,
            "strategy_id": vo.strategy_id}


_ACCEPTED = RecordEmitter(Kind.ORDER_ACCEPTED, (
    "client_order_id", "instrument_id", "strategy_id", "venue_order_id"))
_FILLED = RecordEmitter(Kind.ORDER_FILLED, (
    "client_order_id", "instrument_id", "strategy_id", "venue_order_id", "trade_id",
    "position_id", "side", "liquidity_side", "price_precision", "size_precision", "account_id",
    "last_qty", "last_px", "commission", "commission_currency"))


_REF_NAMES = ("client_order_id", "instrument_id", "strategy_id", "venue_order_id")
_CANCELED = RecordEmitter(Kind.ORDER_CANCELED, _REF_NAMES)
_EXPIRED = RecordEmitter(Kind.ORDER_EXPIRED, _REF_NAMES)
_TRIGGERED = RecordEmitter(Kind.ORDER_TRIGGERED, _REF_NAMES)


def _null(raw: int | None) -> int:
    return NULL_I64 if raw is None else raw


def accept(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder) -> None:
    """ORDER_ACCEPTED with a new venue order id; the order is open from now on."""
    vo.venue_order_id = emit_accepted(ex, ctx, vo.client_order_id, vo.instrument_id,
                                      vo.strategy_id)
    ex.open_order(ctx, vo)


def emit_accepted(ex: SimulatedExchange, ctx: KernelContext, client_order_id: int,
                  instrument_id: int, strategy_id: int) -> int:
    """Emits ORDER_ACCEPTED with the next venue order id and returns that id (no bookkeeping)."""
    venue_order_id = ex.next_venue_order_id
    ex.next_venue_order_id += 1
    ex.emit_values(ctx, _ACCEPTED, client_order_id, instrument_id, strategy_id, venue_order_id)
    return venue_order_id


def reject(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder, reason: str) -> None:
    """ORDER_REJECTED with the interned ``reason``."""
    reason_id = ctx.intern(reason, ex.sid(ctx))
    ex.emit(ctx, Kind.ORDER_REJECTED, **_ref(vo), reason_id=reason_id)


def fill(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder, px_raw: int, qty_raw: int,
         liquidity: LiquiditySide) -> None:
    """ORDER_FILLED of ``qty_raw`` at ``px_raw`` with a new trade id and the fee model's
    commission; a fully filled order leaves the open orders."""
    if qty_raw <= 0 or qty_raw > vo.leaves_raw:
        raise ValueError(f"order {vo.client_order_id}: fill qty raw {qty_raw} outside 1..leaves "
                         f"raw {vo.leaves_raw} (seq {ctx.current_seq})")
    emit_filled(ex, ctx, ex.view(ctx).instrument(vo.instrument_id), vo, vo.venue_order_id,
                vo.position_id, px_raw, qty_raw, liquidity)
    vo.filled_raw += qty_raw
    if vo.leaves_raw == 0:
        ex.close_order(ctx, vo)


def emit_filled(ex: SimulatedExchange, ctx: KernelContext, instrument: Any, order: Any,
                venue_order_id: int, position_id: int, px_raw: int, qty_raw: int,
                liquidity: LiquiditySide) -> None:
    """Emits ORDER_FILLED with the fee model's commission and the next trade id (no checks,
    no bookkeeping). ``order`` is a :class:`VenueOrder` or the cache's ``Order``: the fields
    read here (ids, side, precisions, account) mean the same on both."""
    commission, currency = ex.config.fees.commission(instrument, liquidity, qty_raw, px_raw)
    trade_id = ex.next_trade_id
    ex.next_trade_id += 1
    ex.emit_values(ctx, _FILLED, order.client_order_id, order.instrument_id, order.strategy_id,
                   venue_order_id, trade_id, position_id, int(order.side), int(liquidity),
                   order.price_precision, order.size_precision,
                   order.account_id or ex.account(ctx), qty_raw, px_raw, commission, currency)


def cancel(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder) -> None:
    """ORDER_CANCELED; the order leaves the open orders."""
    ex.emit_values(ctx, _CANCELED, vo.client_order_id, vo.instrument_id, vo.strategy_id,
                   vo.venue_order_id)
    ex.close_order(ctx, vo)


def expire(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder) -> None:
    """ORDER_EXPIRED; the order leaves the open orders."""
    ex.emit_values(ctx, _EXPIRED, vo.client_order_id, vo.instrument_id, vo.strategy_id,
                   vo.venue_order_id)
    ex.close_order(ctx, vo)


def trigger(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder) -> None:
    """ORDER_TRIGGERED; the stop becomes a market (stop-market) or limit (stop-limit) order."""
    vo.triggered = True
    ex.emit_values(ctx, _TRIGGERED, vo.client_order_id, vo.instrument_id, vo.strategy_id,
                   vo.venue_order_id)


def update(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder) -> None:
    """ORDER_UPDATED with the order's quantity, price and trigger price now."""
    ex.emit(ctx, Kind.ORDER_UPDATED, **_ref(vo), venue_order_id=vo.venue_order_id,
            price_precision=vo.price_precision, size_precision=vo.size_precision,
            quantity=vo.quantity_raw, price=_null(vo.price_raw), trigger_price=_null(vo.trigger_raw))


def refuse(ex: SimulatedExchange, ctx: KernelContext, kind: int, doc: dict[str, Any],
           venue_order_id: int, reason: str) -> None:
    """ORDER_MODIFY_REJECTED or ORDER_CANCEL_REJECTED (``kind``) with the interned ``reason``."""
    reason_id = ctx.intern(reason, ex.sid(ctx))
    ex.emit(ctx, kind, client_order_id=doc["client_order_id"], instrument_id=doc["instrument_id"],
            strategy_id=doc["strategy_id"], venue_order_id=venue_order_id, reason_id=reason_id)
