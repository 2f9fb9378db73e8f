"""A SUBMIT_ORDER_LIST as the risk engine checks it: one SUBMIT_ORDER per order of the list.

Contract: :func:`list_submits` returns the list's orders (as the cache holds them, in
initialization order, found among the strategy's orders not closed: O(open orders)) and, for each, the SUBMIT_ORDER namedtuple the engines check and route
(header fields of the list command, ids of the order); it never emits and never raises.
"""

from __future__ import annotations

from typing import Any

from domain.codec import RAW_TUPLES
from domain.kinds import Kind


def submit_of(order: Any, cmd: Any) -> Any:
    """A SUBMIT_ORDER namedtuple for one order of a list (header of the list command)."""
    cls = RAW_TUPLES[int(Kind.SUBMIT_ORDER)]
    fields = dict.fromkeys(cls._fields, 0)
    fields.update(
        seq=cmd.seq, ts_event=cmd.ts_event, ts_init=cmd.ts_init, cause=cmd.cause,
        kind=int(Kind.SUBMIT_ORDER), flags=cmd.flags, source=cmd.source,
        client_order_id=order.client_order_id, instrument_id=order.instrument_id,
        strategy_id=order.strategy_id, position_id=order.position_id,
        order_list_id=cmd.order_list_id,
    )
    return cls(**fields)


def list_submits(cache: Any, cmd: Any) -> tuple[list[Any], list[Any]]:
    """Returns ``(orders, submits)`` of a SUBMIT_ORDER_LIST (see the module contract)."""
    # The list's orders were initialized just before the command, so they are not closed:
    # the strategy's index of orders not closed holds them (closed orders are never scanned).
    t = cache.trading
    orders = [
        o for coid in t.orders_by_strategy.get(cmd.strategy_id, ())
        if (o := t.orders[coid]).order_list_id == cmd.order_list_id
    ]
    return orders, [submit_of(o, cmd) for o in orders]

