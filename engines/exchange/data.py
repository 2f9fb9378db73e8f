"""How market data moves the venue's open orders.

Rules by granularity (docs/exchange.md):
- stops trigger on trades at or through the trigger (TRADE records, and BOOK_DELTA TRADE
  reports), and on quotes (ask for a buy stop, bid for a sell stop) when the config says so;
- L1 and L2 resting limits fill as maker at their own price when the opposite side quotes at or
  through them (up to the visible size not already taken, or wholly with nominal L1 sizes), when
  a trade prints strictly through them (wholly), or, through the seeded fill model, when a trade
  prints exactly at their price (up to the trade's size);
- L3 resting limits fill only through their queue position (:mod:`engines.exchange.queue`): with
  traded volume beyond the volume ahead of them, never from a crossed book without trades (the
  pre-open).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.enums import AggressorSide, BookLevel, LiquiditySide, OrderSide, RecordFlag
from domain.schema import NULL_I64
from engines.context import KernelContext
from engines.exchange import events, flow, trailing
from engines.exchange.market import UNBOUNDED
from engines.exchange.matching import crosses, opposite, trades_through, walk
from engines.exchange.queue import QueuePosition
from engines.exchange.venue_order import IF_TOUCHED

_BUY = OrderSide.BUY
_MAKER = LiquiditySide.MAKER
_LAST = int(RecordFlag.LAST)  # a plain int: IntFlag.__and__ costs ~3 µs per record

if TYPE_CHECKING:
    from engines.exchange.exchange import SimulatedExchange
    from engines.exchange.venue_order import VenueOrder


def _maker_fill(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder, qty: int) -> None:
    if vo.is_reduce_only:
        cap = flow.reducible(ex, ctx, vo)
        if cap == 0:
            events.cancel(ex, ctx, vo)
            return
        qty = min(qty, cap)
    qty = min(qty, vo.leaves_raw)
    if qty > 0:
        events.fill(ex, ctx, vo, vo.price_raw, qty, _MAKER)


def _fill_from_levels(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder) -> None:
    """Fills a resting limit against the opposite levels that cross it, at its own price."""
    seen = flow.visible_levels(ex.view(ctx), vo.instrument_id, vo.side, ex.level,
                               ex.config.depth, ex.config.nominal_l1_sizes)
    book_side = opposite(vo.side)
    avail = ex.consumed.available(vo.instrument_id, book_side, seen)
    sizes = dict(seen)
    for px, q in walk(avail, vo.leaves_raw, vo.side, vo.price_raw):
        if vo.instrument_id not in ex.active or vo.client_order_id not in ex.orders:
            return
        ex.consumed.take(vo.instrument_id, book_side, px, sizes[px], q)
        _maker_fill(ex, ctx, vo, q)


def _resting_limits(ex: SimulatedExchange, instrument_id: int) -> list[VenueOrder]:
    return [vo for vo in ex.open_orders_of(instrument_id) if not vo.is_stop
            and vo.price_raw is not None]


def on_quote(ex: SimulatedExchange, ctx: KernelContext, rec: Any) -> None:
    """A QUOTE: triggers stops (when configured) and fills L1 resting limits it crosses."""
    bid, ask = rec.bid, rec.ask
    orders = ex.orders
    on_quotes = ex.config.stop_trigger_on_quotes
    l1 = ex.level == BookLevel.L1
    for vo in ex.open_orders_of(rec.instrument_id):
        if vo.client_order_id not in orders:
            continue
        if vo.is_stop:
            if vo.trailing is not None:
                trailing.on_quote(ex, ctx, vo, bid, ask)
            px = ask if vo.side == _BUY else bid
            if on_quotes and px != NULL_I64 and vo.triggers_at(px):
                flow.fire_stop(ex, ctx, vo)
        elif l1 and vo.price_raw is not None:
            px = ask if vo.side == _BUY else bid
            if px != NULL_I64 and crosses(vo.side, vo.price_raw, px):
                _fill_from_levels(ex, ctx, vo)


def quiet_quotes(ex: SimulatedExchange, instrument_id: int, bids: list[int], asks: list[int],
                 start: int, stop: int) -> int:
    """PURE: how many leading quotes of ``bids[start:stop]`` / ``asks[start:stop]``
    :func:`on_quote` would leave silent: those before the first at which a waiting stop or
    if-touched order triggers (with ``stop_trigger_on_quotes``) or a resting L1 limit is
    crossed. The tests are ``triggers_at``'s and ``crosses``' inlined: each open order scans
    one side for a price at or below (``le``) or at or above a level. 0 when something it does
    not decide here is open: a trailing stop (it moves on every quote), an order neither
    waiting for a trigger nor limited, a book level other than L1. The fill model is not
    consulted on quotes (it draws only for trades at a limit). Scans in growing windows, all
    orders per window, so the work is bounded by the answer, not by the run's length."""
    if ex.level != BookLevel.L1:
        return 0
    on_quotes = ex.config.stop_trigger_on_quotes
    tests: list[tuple[list[int], bool, int]] = []  # (the side's prices, le, level)
    for vo in ex.open_orders_of(instrument_id):
        buy = vo.side == _BUY
        if vo.is_stop:
            if vo.trailing is not None:
                return 0
            if on_quotes and vo.trigger_raw is not None:  # None never triggers (triggers_at)
                # stops: buy at ask >= trigger, sell at bid <= it; if-touched: the mirror
                le = (vo.order_type in IF_TOUCHED) == buy
                tests.append((asks if buy else bids, le, vo.trigger_raw))
        elif vo.price_raw is not None:  # crosses: a buy at ask <= limit, a sell at bid >= it
            tests.append((asks if buy else bids, buy, vo.price_raw))
        else:
            return 0
    end = stop
    lo, width = start, 8
    while lo < end:
        hi = top = min(end, lo + width)
        for prices, le, level in tests:
            if le:
                for i in range(lo, hi):
                    px = prices[i]
                    if px <= level and px != NULL_I64:
                        hi = i
                        break
            else:
                for i in range(lo, hi):
                    if prices[i] >= level:  # NULL (the least int64) never is
                        hi = i
                        break
        if hi < top:
            return hi - start
        lo = hi
        width <<= 1
    return end - start


def on_trade(ex: SimulatedExchange, ctx: KernelContext, instrument_id: int, price: int,
             size: int, aggressor: int) -> None:
    """A trade print: triggers stops; fills L1 / L2 resting limits it trades through (or at)."""
    for vo in ex.open_orders_of(instrument_id):
        if vo.client_order_id not in ex.orders:
            continue
        if vo.is_stop:
            if vo.trailing is not None:
                trailing.on_trade(ex, ctx, vo, price)
            if vo.triggers_at(price):
                flow.fire_stop(ex, ctx, vo)
            continue
        if ex.level == BookLevel.L3 or vo.price_raw is None:
            continue
        if trades_through(vo.side, vo.price_raw, price):
            _maker_fill(ex, ctx, vo, UNBOUNDED)
        elif price == vo.price_raw and aggressor == _hits(vo.side) and ex.fill_model.fills_at_limit():
            _maker_fill(ex, ctx, vo, size)


def _hits(side: int) -> int:
    """The aggressor that trades against a resting order of ``side``."""
    return AggressorSide.SELLER if side == OrderSide.BUY else AggressorSide.BUYER


def on_l2_delta(ex: SimulatedExchange, ctx: KernelContext, rec: Any) -> None:
    """An L2 delta: after a LAST record, resting limits crossed by the book fill as makers."""
    if not rec.flags & _LAST:
        return
    for vo in _resting_limits(ex, rec.instrument_id):
        if vo.client_order_id in ex.orders:
            _fill_from_levels(ex, ctx, vo)


def on_l3_delta(ex: SimulatedExchange, ctx: KernelContext, rec: Any) -> None:
    """An L3 delta: moves the queue of every resting limit; fills with volume traded past it."""
    last = bool(rec.flags & _LAST)
    for vo in _resting_limits(ex, rec.instrument_id):
        q = vo.queue
        if q is None:
            continue
        n = q.on_delta(rec.action, rec.side, rec.price, rec.size, rec.order_id, vo.side,
                       vo.price_raw)
        if n and vo.client_order_id in ex.orders:
            _maker_fill(ex, ctx, vo, n)
        if last and q.rejoin and vo.client_order_id in ex.orders:
            book = ex.view(ctx).book(vo.instrument_id)
            vo.queue = QueuePosition() if book is None else \
                QueuePosition.join(book.orders(), vo.side, vo.price_raw)
