"""Trailing stops at the simulated exchange: the venue moves a waiting trailing stop's trigger
(and a trailing stop-limit's limit price) as the market moves in its favour.

Design contract: called for an accepted TRAILING_STOP_* order that has not triggered
(``vo.trailing`` set from its TRAILING_OFFSETS record): on arrival (from the last quote), on each
QUOTE (trigger types DEFAULT / BID_ASK / MID_POINT) and on each trade (LAST_PRICE), before the
trigger test. A move is an ORDER_UPDATED whose ``cause`` is the quote / trade; the levels follow
:func:`domain.trailing.trail` (favourable direction only, on the tick grid). A trailing stop
without a trigger yet waits until the first price of its trigger type sets one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.trailing import follow as trailing_levels
from domain.trailing import quote_basis, trade_basis
from engines.context import KernelContext
from engines.exchange import events
from engines.exchange.venue_order import VenueOrder

if TYPE_CHECKING:
    from engines.exchange.exchange import SimulatedExchange


def follow(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder, basis_raw: int) -> None:
    """Moves ``vo``'s trigger (and limit price) toward ``basis_raw`` when that is favourable;
    emits ORDER_UPDATED when either moved."""
    inst = ex.view(ctx).instrument(vo.instrument_id)
    tick = inst.tick_size.raw if inst is not None else 1
    moved = trailing_levels(vo.side, vo.trigger_raw, vo.price_raw, vo.trailing,  # type: ignore[arg-type]
                            basis_raw, tick)
    if moved is not None:
        vo.trigger_raw, vo.price_raw = moved
        events.update(ex, ctx, vo)


def on_quote(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder, bid_raw: int,
             ask_raw: int) -> None:
    """A quote: follows it when the order's trigger type is quote-driven."""
    basis = quote_basis(vo.side, vo.trailing[1], bid_raw, ask_raw)  # type: ignore[index]
    if basis is not None:
        follow(ex, ctx, vo, basis)


def on_trade(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder, price_raw: int) -> None:
    """A trade: follows it when the order trails the last price."""
    basis = trade_basis(vo.trailing[1], price_raw)  # type: ignore[index]
    if basis is not None:
        follow(ex, ctx, vo, basis)


def on_arrival(ex: SimulatedExchange, ctx: KernelContext, vo: VenueOrder) -> None:
    """An accepted trailing stop: sets / moves its levels from the venue's last quote."""
    quote = ex.view(ctx).quote(vo.instrument_id)
    if quote is not None:
        on_quote(ex, ctx, vo, quote[0], quote[1])
