"""What an order would do to its position and to a margin account: the risk engine's view.

Design contract:
- the position an order is checked against is the cache's position plus every order already
  sent to it and not yet filled (``pending``: open orders of the same strategy, instrument and
  position, and in-flight ones); so a flip sent as "close, then open" is checked as opening
  the new side, not as reducing the old one;
- an order's initial margin is that of the part that opens or increases exposure: all of it
  when the projected position is flat or on its side, else what exceeds the projected size;
- the maintenance margin the cache holds for the position is released, pro rata, by what the
  pending orders and this one take off it (all of it when they close or flip it);
- pure functions of the cache and the values given; nothing is changed.
"""

from __future__ import annotations

from typing import Any

from domain.enums import OrderSide
from domain.order_fsm import OrderStatus


def signed(side: Any, qty_raw: int) -> int:
    """Returns ``qty_raw`` with the order side's sign (+ buy, - sell)."""
    return qty_raw if side == OrderSide.BUY else -qty_raw


def pending_raw(cache: Any, order: Any, position_id: int, in_flight: Any) -> int:
    """Returns the signed leaves quantity of the other orders bound for ``position_id``: open
    orders of the order's strategy and instrument routed there (or not routed yet) and
    submitted (``in_flight`` holds the client order ids forwarded but not applied)."""
    total = 0
    orders = cache.trading.orders
    for coid in cache.trading.orders_open:  # not closed, INITIALIZED and SUBMITTED included
        o = orders[coid]
        if o is order or o.strategy_id != order.strategy_id or o.instrument_id != order.instrument_id:
            continue
        if o.position_id and o.position_id != position_id:
            continue
        if o.status == OrderStatus.INITIALIZED and o.client_order_id not in in_flight:
            continue  # created but never submitted: it may never be
        total += signed(o.side, o.quantity_raw - o.filled_raw)
    return total


def opening_raw(before_raw: int, side: Any, qty_raw: int) -> int:
    """Returns the part of an order that opens or increases exposure from ``before_raw``."""
    if before_raw == 0 or (before_raw > 0) == (side == OrderSide.BUY):
        return qty_raw
    return max(0, qty_raw - abs(before_raw))


def released_raw(margin_raw: int, held_raw: int, after_raw: int) -> int:
    """Returns the maintenance margin freed when a position of ``held_raw`` (holding
    ``margin_raw``) becomes ``after_raw``."""
    if not held_raw or not margin_raw:
        return 0
    if after_raw == 0 or (after_raw > 0) != (held_raw > 0):
        return margin_raw
    if abs(after_raw) >= abs(held_raw):
        return 0
    return margin_raw * (abs(held_raw) - abs(after_raw)) // abs(held_raw)
