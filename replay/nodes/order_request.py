"""The order a live venue client sends for a SUBMIT_ORDER, read from the kernel as of the
command (so re-execution, which hands the same command to an offline stand-in, reads the
same)."""

from __future__ import annotations

from typing import Any

from adapters.fix.client import OrderRequest
from domain.enums import OrderSide, OrderType, TimeInForce

#: what an order the kernel's emulator released (its trigger touched) is at the venue: a
#: market order for the stop-market kinds, a limit order at its limit price for the stop-limits
_RELEASED_AS = {
    OrderType.STOP_MARKET: OrderType.MARKET, OrderType.MARKET_IF_TOUCHED: OrderType.MARKET,
    OrderType.TRAILING_STOP_MARKET: OrderType.MARKET, OrderType.STOP_LIMIT: OrderType.LIMIT,
    OrderType.LIMIT_IF_TOUCHED: OrderType.LIMIT, OrderType.TRAILING_STOP_LIMIT: OrderType.LIMIT,
}


def order_request(cmd: Any, ctx: Any) -> OrderRequest:
    """Returns the :class:`OrderRequest` of a SUBMIT_ORDER from the kernel's order, read while
    the command is handled: an emulated market order's reference price is the quote then (the
    ask for a buy, the bid for a sell), so a re-execution prices it the same. An order the
    emulator released goes out as what its trigger made it (:data:`_RELEASED_AS`)."""
    order = ctx.cache.order(cmd.client_order_id)
    order_type = OrderType(int(order.order_type))
    if order.released:
        order_type = _RELEASED_AS.get(order_type, order_type)
    reference = None
    quote = ctx.cache.quote(order.instrument_id)
    if quote is not None:
        reference = int(quote.ask if order.side == OrderSide.BUY else quote.bid)
    return OrderRequest(
        client_order_id=order.client_order_id, strategy_id=order.strategy_id,
        symbol=ctx.text(order.instrument_id), side=OrderSide(int(order.side)),
        quantity=order.quantity_raw, price=order.price_raw,
        order_type=order_type, time_in_force=TimeInForce(int(order.time_in_force)),
        price_precision=order.price_precision, size_precision=order.size_precision,
        reference_price=reference)
