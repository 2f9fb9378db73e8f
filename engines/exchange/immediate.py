"""The venue's shortcut for a market order that fills whole at the L1 touch the moment it arrives.

Design contract:
- :func:`fill_at_touch` either handles the order completely, emitting exactly the records and
  leaving exactly the venue state of the general path (:func:`engines.exchange.flow.on_submit`:
  ORDER_ACCEPTED, one taker ORDER_FILLED at the touch, the liquidity noted as consumed, the two
  id counters advanced), and returns True; or it changes nothing and returns False, and the
  caller takes the general path;
- it applies only when nothing else can happen to the order: a MARKET order (reduce-only when
  the position covers the whole quantity, the only option a market order may carry),
  time in force not GTD / DAY (those schedule an expiry), no price or trigger, on the lot grid,
  at an L1 venue, not already open here, with at least its quantity
  available at the touch. Every reject, partial fill, cancel and latency case goes the general
  way, so their records and messages cannot differ;
- the events go out through ``SimulatedExchange.emit_values`` as on the general path, so a
  response latency schedules them the same way and the latency model is asked as many times.

Why: the ``ema_cross`` node benchmark (perf/backtest_run.py) sends ~9 k such orders; the general
path builds a :class:`VenueOrder`, opens and closes it and re-reads the quote and instrument at
each step (~21 µs per order), while none of that state outlives the command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.enums import BookLevel, LiquiditySide, OrderOption, OrderSide, OrderType, TimeInForce
from domain.schema import NULL_I64
from engines.context import KernelContext
from engines.exchange.events import emit_accepted, emit_filled
from engines.exchange.market import UNBOUNDED

if TYPE_CHECKING:
    from engines.exchange.exchange import SimulatedExchange

# Module constants: compared per order; an enum class attribute costs ~0.3 µs to look up and an
# IntFlag operator is a Python-level call.
_MARKET = int(OrderType.MARKET)
_GTD, _DAY = int(TimeInForce.GTD), int(TimeInForce.DAY)
_BUY, _SELL = int(OrderSide.BUY), int(OrderSide.SELL)
_REDUCE_ONLY = int(OrderOption.REDUCE_ONLY)
_L1 = int(BookLevel.L1)
_TAKER = LiquiditySide.TAKER


def fill_at_touch(ex: SimulatedExchange, ctx: KernelContext, view: Any, order: Any,
                  position_id: int) -> bool:
    """Fills the cache's ``order`` whole as taker at the L1 touch when the module's conditions
    hold, and returns True; otherwise returns False having emitted and changed nothing."""
    options = int(order.options)
    if order.order_type != _MARKET or ex.level != _L1 or options & ~_REDUCE_ONLY \
            or order.time_in_force in (_GTD, _DAY) or order.price_raw is not None \
            or order.trigger_price_raw is not None or order.client_order_id in ex.orders:
        return False
    instrument_id = order.instrument_id
    instrument = view.instrument(instrument_id)
    qty = order.quantity_raw
    if instrument is None or not instrument.is_on_lot(qty):
        return False
    if options:  # reduce-only: a cap below the quantity is a reject or an ORDER_UPDATED
        pos = view.position_qty_raw(instrument_id, order.strategy_id, position_id)
        if (-pos if order.side == _BUY else pos) < qty:
            return False
    quote = view.quote(instrument_id)
    if quote is None:
        return False
    if order.side == _BUY:
        px, size, book_side = quote[1], quote[3], _SELL
    else:
        px, size, book_side = quote[0], quote[2], _BUY
    if px == NULL_I64:
        return False
    if ex.config.nominal_l1_sizes:
        size = UNBOUNDED
    # ``available`` only forgets entries the data changed, so calling it and then falling back
    # leaves the general path the same state to read.
    consumed = ex.consumed
    free = consumed.available(instrument_id, book_side, [(px, size)])[0][1]
    if free < qty:
        return False
    venue_order_id = emit_accepted(ex, ctx, order.client_order_id, instrument_id,
                                   order.strategy_id)
    consumed.take(instrument_id, book_side, px, size, qty)
    emit_filled(ex, ctx, instrument, order, venue_order_id, position_id, px, qty,
                _TAKER)
    return True
