"""The risk engine's decision on a MODIFY_ORDER: rejection reason, or None to forward it.

Design contract:
- :func:`check_modify` is a pure read of the cache and the engine's trading state: it never
  emits, never changes what it is given and never raises for a bad command;
- the reasons are :class:`engines.reasons.Refusal` s interned into ORDER_MODIFY_REJECTED (see
  :mod:`engines.risk`): the order id is the record's own ``{client_order_id}``, quantities are
  numbers of a REASON_ARGS record;
- an OTO child still held by the order manager (INITIALIZED, with a parent) or an order held by
  the emulator (INITIALIZED, emulated) may be modified: the risk engine applies the change
  itself (ORDER_UPDATED), nothing goes to a venue.
"""

from __future__ import annotations

from typing import Any

from domain.enums import TradingState
from domain.order_fsm import CLOSED_STATUSES, OrderStatus
from domain.schema import NULL_I64
from engines import risk_checks as rc
from engines.context import KernelContext
from engines.order_projection import projected_status
from engines.reasons import Field, Refusal
from engines.reasons import Num as N
from engines.risk_checks import RiskConfig

R = Refusal.of
_ORDER = Field("client_order_id")


def check_modify(
    config: RiskConfig, trading_state: TradingState, cmd: Any, ctx: KernelContext
) -> Refusal | None:
    """Returns the rejection reason of a MODIFY_ORDER, or None when it may go to the venue."""
    order = ctx.cache.order(cmd.client_order_id)
    if order is None:
        return R("modify: order ", _ORDER, " is unknown")
    if order.is_closed:
        return R("modify: order ", _ORDER, f" is closed ({order.status.name})")
    if order.status == OrderStatus.INITIALIZED and not order.parent_order_id \
            and order.emulation_trigger is None:
        return R("modify: order ", _ORDER, " was never submitted")
    status = projected_status(ctx, order)
    if status in CLOSED_STATUSES:
        return R("modify: order ", _ORDER, f" is closed ({status.name}) by an event of this "
                 "cascade")
    if status == OrderStatus.PENDING_CANCEL:
        return R("modify: order ", _ORDER, " has a cancel pending")
    if trading_state == TradingState.HALTED:
        return R("trading state HALTED: no modifies are accepted")
    inst = ctx.cache.instrument(cmd.instrument_id)
    if inst is None:
        return R(f"unknown instrument: id {cmd.instrument_id} has no INSTRUMENT record")
    qty = None if cmd.quantity == NULL_I64 else cmd.quantity
    price = None if cmd.price == NULL_I64 else cmd.price
    trigger = None if cmd.trigger_price == NULL_I64 else cmd.trigger_price
    if trading_state == TradingState.REDUCING and qty is not None and qty > order.quantity_raw:
        return R("trading state REDUCING: modify would increase the order quantity")
    if qty is not None:
        reason = rc.check_quantity(inst, qty, cmd.size_precision) or rc.check_max_qty(
            inst, config, qty
        )
        if reason is None and qty <= order.filled_raw:  # the venue would reject it
            reason = R("modify: quantity raw ", N(qty), " is not above filled_qty raw ",
                       N(order.filled_raw))
        if reason is not None:
            return reason
    quote = ctx.cache.quote(cmd.instrument_id)
    mid2 = quote.bid + quote.ask if quote is not None else None
    for field, raw in (("price", price), ("trigger_price", trigger)):
        reason = rc.check_price(inst, field, raw, cmd.price_precision) or rc.check_collar(
            inst, config, field, raw, mid2
        )
        if reason is not None:
            return reason
    return None
