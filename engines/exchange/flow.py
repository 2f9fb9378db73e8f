"""What the venue does when a command arrives, and how an order takes and rests.

Rules (docs/exchange.md has the full table):
- checks on arrival, each an ORDER_REJECTED naming the field and value: unknown instrument, price
  or trigger price off the tick grid, quantity off the lot grid, GTD expiry not in the future,
  a market order with no market, a post-only limit that would take liquidity, a reduce-only
  order that would increase the position (one that is larger than the position is capped to it
  with ORDER_UPDATED);
- then ORDER_ACCEPTED and: market orders take what is visible and cancel the rest; limits take
  while marketable (taker, at the book's prices) and rest; IOC cancels the rest, FOK cancels
  without filling unless the visible crossing liquidity fills it all; market-to-limit takes at
  the touch and rests the remainder as a limit at that price; stops wait for their trigger;
- modify / cancel of an order that is not open at the venue (filled, canceled, expired, unknown,
  or still in flight) is refused with ORDER_MODIFY_REJECTED / ORDER_CANCEL_REJECTED.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.enums import BookLevel, LiquiditySide, OrderSide, OrderType, TimeInForce
from domain.kinds import Kind
from domain.values import Price, Quantity
from engines.context import KernelContext
from engines.exchange import events, trailing
from engines.exchange.market import visible_levels
from engines.exchange.matching import (
    crosses,
    crossing_volume,
    opposite,
    opt_raw,
    walk,
)
from engines.exchange.queue import QueuePosition
from engines.exchange.venue_order import VenueOrder

_TSL = OrderType.TRAILING_STOP_LIMIT
_MARKET, _MTL, _LIMIT = OrderType.MARKET, OrderType.MARKET_TO_LIMIT, OrderType.LIMIT
_STOP_MARKET = OrderType.STOP_MARKET  # these: read per order (globals, not class attributes)
_FOK, _IOC, _GTD = TimeInForce.FOK, TimeInForce.IOC, TimeInForce.GTD
_TAKER = LiquiditySide.TAKER
_BUY = OrderSide.BUY  # read per order: a global, not an enum class attribute (~70 ns)

if TYPE_CHECKING:
    from engines.exchange.exchange import SimulatedExchange

expire = events.expire


def _px(raw: int, vo: VenueOrder) -> str:
    return str(Price(raw, vo.price_precision))


def _grid_error(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder) -> str | None:
    inst = ex.view(ctx).instrument(vo.instrument_id)
    if inst is None:
        return f"instrument_id {vo.instrument_id} is not defined at venue {ex.config.venue}"
    for name, raw in (("price", vo.price_raw), ("trigger_price", vo.trigger_raw)):
        if raw is not None and not inst.is_on_tick(raw):
            return f"{name} {_px(raw, vo)} is off the tick grid (tick_size {inst.tick_size})"
    if not inst.is_on_lot(vo.quantity_raw):
        return (f"quantity {Quantity(vo.quantity_raw, vo.size_precision)} is off the lot grid "
                f"(lot_size {inst.lot_size})")
    return None


def _visible(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder) -> list[tuple[int, int]]:
    return visible_levels(ex.view(ctx), vo.instrument_id, vo.side, ex.level, ex.config.depth,
                          ex.config.nominal_l1_sizes)


def levels_for(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder) -> list[tuple[int, int]]:
    """Returns the opposite side's levels available to ``vo`` (consumed liquidity removed)."""
    return ex.consumed.available(vo.instrument_id, opposite(vo.side), _visible(ex, ctx, vo))


def reducible(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder) -> int:
    """Returns how much ``vo`` may fill without increasing its strategy's position."""
    pos = ex.view(ctx).position_qty_raw(vo.instrument_id, vo.strategy_id, vo.position_id)
    return max(0, -pos) if vo.side == _BUY else max(0, pos)


def take(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder, limit_raw: int | None,
         max_qty: int | None = None, seen: list[tuple[int, int]] | None = None) -> int:
    """Fills ``vo`` as taker from the visible levels up to ``limit_raw``; returns the filled qty.

    ``seen``: the visible levels when the caller has just read them within the same command
    (nothing can change them before the command ends); None reads them."""
    if seen is None:
        seen = _visible(ex, ctx, vo)
    book_side = opposite(vo.side)
    avail = ex.consumed.available(vo.instrument_id, book_side, seen)
    qty = vo.leaves_raw if max_qty is None else min(vo.leaves_raw, max_qty)
    if vo.is_reduce_only:
        qty = min(qty, reducible(ex, ctx, vo))
    sizes = dict(seen)
    total = 0
    for px, q in walk(avail, qty, vo.side, limit_raw):
        ex.consumed.take(vo.instrument_id, book_side, px, sizes[px], q)
        events.fill(ex, ctx, vo, px, q, _TAKER)
        total += q
    return total


def rest(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder) -> None:
    """Leaves ``vo`` resting as a limit; on L3 it joins the back of its level's queue."""
    if ex.level == BookLevel.L3 and vo.price_raw is not None:
        book = ex.view(ctx).book(vo.instrument_id)
        vo.queue = QueuePosition.join(book.orders(), vo.side, vo.price_raw) if book is not None \
            else QueuePosition()


def execute(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder,
            seen: list[tuple[int, int]] | None = None) -> None:
    """Runs an accepted, active order (not a waiting stop) against the market by its type / TIF
    (``seen``: as for :func:`take`)."""
    tif = vo.time_in_force
    if vo.order_type == _MTL and vo.price_raw is None:
        avail = levels_for(ex, ctx, vo)
        touch = avail[0][0] if avail else None
        if touch is None:
            events.cancel(ex, ctx, vo)
            return
        if tif == _FOK and crossing_volume(avail, vo.side, touch) < vo.leaves_raw:
            events.cancel(ex, ctx, vo)
            return
        take(ex, ctx, vo, touch)
        if vo.leaves_raw == 0:
            return
        if tif in (_IOC, _FOK):
            events.cancel(ex, ctx, vo)
            return
        vo.price_raw = touch
        events.update(ex, ctx, vo)
        rest(ex, ctx, vo)
        return
    limit = vo.price_raw
    if tif == _FOK and crossing_volume(levels_for(ex, ctx, vo), vo.side, limit) \
            < vo.leaves_raw:
        events.cancel(ex, ctx, vo)
        return
    take(ex, ctx, vo, limit, seen=seen)
    if vo.leaves_raw == 0:
        return
    if limit is None or tif in (_IOC, _FOK):
        events.cancel(ex, ctx, vo)
        return
    rest(ex, ctx, vo)


def fire_stop(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder) -> None:
    """Triggers a stop or if-touched order and runs it as a market (stop-market,
    market-if-touched) or limit (stop-limit, limit-if-touched) order."""
    events.trigger(ex, ctx, vo)
    if ex.config.stop_fill_at_trigger and vo.order_type == _STOP_MARKET:
        qty = min(vo.leaves_raw, reducible(ex, ctx, vo)) if vo.is_reduce_only else vo.leaves_raw
        if qty > 0:
            events.fill(ex, ctx, vo, vo.trigger_raw, qty, _TAKER)
            return
    execute(ex, ctx, vo)


def on_submit(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder) -> None:
    """An order arrives at the venue: reject, or accept and run it."""
    error = _grid_error(ex, ctx, vo)
    if error is None and vo.time_in_force == _GTD and vo.expire_ns <= ctx.now_ns:
        error = f"expire_time_ns {vo.expire_ns} is not after venue time {ctx.now_ns}"
    seen = _visible(ex, ctx, vo) if error is None else []
    avail = ex.consumed.available(vo.instrument_id, opposite(vo.side), seen) if seen else []
    marketable = bool(avail) and crosses(vo.side, vo.price_raw, avail[0][0])
    if error is None and vo.order_type in (_MARKET, _MTL) \
            and not avail:
        error = f"no market for instrument_id {vo.instrument_id}: the opposite side is empty"
    if error is None and vo.is_post_only and vo.order_type == _LIMIT and marketable:
        error = (f"post-only {OrderSide(vo.side).name} limit at price {_px(vo.price_raw, vo)} "
                 f"would take liquidity at {_px(avail[0][0], vo)}")
    cap = reducible(ex, ctx, vo) if error is None and vo.is_reduce_only else None
    if cap == 0:
        pos = ex.view(ctx).position_qty_raw(vo.instrument_id, vo.strategy_id, vo.position_id)
        error = f"reduce-only {OrderSide(vo.side).name} order would increase the position (raw {pos})"
    if error is not None:
        events.reject(ex, ctx, vo, error)
        return
    events.accept(ex, ctx, vo)
    if cap is not None and cap < vo.quantity_raw:
        vo.quantity_raw = cap
        events.update(ex, ctx, vo)
    # ``avail`` stands for the levels below: accepting (and capping, or a trailing stop's
    # levels) emits records but changes neither the market nor the liquidity taken
    if vo.is_stop:
        if vo.trailing is not None:
            trailing.on_arrival(ex, ctx, vo)
        if avail and vo.triggers_at(avail[0][0]):
            fire_stop(ex, ctx, vo)
        return
    if not marketable and vo.order_type == _LIMIT and vo.time_in_force not in (_IOC, _FOK):
        rest(ex, ctx, vo)  # what ``execute`` comes to: its walk stops at the first level
        return
    execute(ex, ctx, vo, seen)


def _not_open(doc: dict[str, Any]) -> str:
    return (f"order {doc['client_order_id']} is not open at the venue (filled, canceled, "
            "expired, unknown or not arrived yet)")


def on_modify(ex: SimulatedExchange, ctx: KernelContext, doc: dict[str, Any]) -> None:
    """A modify arrives: ORDER_UPDATED (and a re-match), or ORDER_MODIFY_REJECTED."""
    vo = ex.orders.get(doc["client_order_id"])
    if vo is None:
        events.refuse(ex, ctx, Kind.ORDER_MODIFY_REJECTED, doc, 0, _not_open(doc))
        return
    qty, price, trig = opt_raw(doc["quantity"]), opt_raw(doc["price"]), opt_raw(doc["trigger_price"])
    new = VenueOrder.from_doc(vo.to_doc())
    new.quantity_raw = vo.quantity_raw if qty is None else qty
    new.price_raw = vo.price_raw if price is None else price
    new.trigger_raw = vo.trigger_raw if trig is None else trig
    error = _grid_error(ex, ctx, new)
    if error is None and price is not None and vo.price_raw is None \
            and vo.order_type != _TSL:
        error = f"price {_px(price, vo)} given for a {OrderType(vo.order_type).name} order"
    if error is None and trig is not None and vo.trigger_raw is None and vo.trailing is None:
        error = f"trigger_price {_px(trig, vo)} given for an order without a trigger"
    if error is None and new.quantity_raw <= vo.filled_raw:
        error = (f"quantity {Quantity(new.quantity_raw, vo.size_precision)} is not above the "
                 f"filled quantity {Quantity(vo.filled_raw, vo.size_precision)}")
    avail = levels_for(ex, ctx, new) if error is None else []
    marketable = not new.is_stop and bool(avail) and crosses(new.side, new.price_raw, avail[0][0])
    if error is None and new.is_post_only and marketable:
        error = (f"post-only limit modified to price {_px(new.price_raw, vo)} would take "
                 f"liquidity at {_px(avail[0][0], vo)}")
    if error is not None:
        events.refuse(ex, ctx, Kind.ORDER_MODIFY_REJECTED, doc, vo.venue_order_id, error)
        return
    requeue = new.price_raw != vo.price_raw or new.quantity_raw > vo.quantity_raw
    vo.quantity_raw, vo.price_raw, vo.trigger_raw = new.quantity_raw, new.price_raw, new.trigger_raw
    events.update(ex, ctx, vo)
    if vo.is_stop:
        if avail and vo.triggers_at(avail[0][0]):
            fire_stop(ex, ctx, vo)
        return
    if marketable:
        take(ex, ctx, vo, vo.price_raw)
    if vo.leaves_raw and (requeue or vo.queue is None):
        rest(ex, ctx, vo)


def on_cancel(ex: SimulatedExchange, ctx: KernelContext, doc: dict[str, Any]) -> None:
    """A cancel arrives: ORDER_CANCELED, or ORDER_CANCEL_REJECTED when the order is not open."""
    vo = ex.orders.get(doc["client_order_id"])
    if vo is None:
        events.refuse(ex, ctx, Kind.ORDER_CANCEL_REJECTED, doc, 0, _not_open(doc))
        return
    events.cancel(ex, ctx, vo)


def on_cancel_all(ex: SimulatedExchange, ctx: KernelContext, doc: dict[str, Any]) -> None:
    """Cancels every open order of the strategy on the instrument (one side, or both)."""
    side = doc["side"]
    for vo in ex.open_orders_of(doc["instrument_id"]):
        if vo.strategy_id == doc["strategy_id"] and side in (0, vo.side):
            events.cancel(ex, ctx, vo)
