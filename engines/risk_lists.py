"""A SUBMIT_ORDER_LIST as the risk engine checks it: one SUBMIT_ORDER per order of the list.

Contract: :func:`list_submits` returns the list's orders (as the cache holds them, in
initialization order) and, for each, the SUBMIT_ORDER namedtuple the engines check and route
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
    orders = _newest_of_list(cache, cmd)
    if orders is None:
        orders = [
            o for o in cache.orders(strategy_id=cmd.strategy_id)
            if o.order_list_id == cmd.order_list_id
        ]
    return orders, [submit_of(o, cmd) for o in orders]


def _newest_of_list(cache: Any, cmd: Any) -> list[Any] | None:
    """The list's orders when they are the strategy's ``n_orders`` newest (a strategy initializes
    a list's orders right before its SUBMIT_ORDER_LIST), else None: O(list) instead of
    O(orders of the strategy) per list (a bracket per signal: perf/backtest_brackets.py)."""
    t = cache.trading
    ids = t.orders_by_strategy.get(cmd.strategy_id)
    n = cmd.n_orders
    if not ids or n <= 0 or n > len(ids):
        return None
    newest = []
    for coid in reversed(ids):  # one past the n newest: it must not be of the list
        newest.append(t.orders[coid])
        if len(newest) > n:
            break
    if len(newest) > n and newest.pop().order_list_id == cmd.order_list_id:
        return None
    newest.reverse()
    if any(o.order_list_id != cmd.order_list_id for o in newest):
        return None
    return newest
