"""A SUBMIT_ORDER_LIST as the risk engine checks it: one SUBMIT_ORDER per order of the list.

Contract: :func:`list_orders` returns the list's orders (as the cache holds them, in
initialization order, found among the strategy's orders not closed: O(open orders));
:func:`list_submits` returns them and, for each, the SUBMIT_ORDER namedtuple the engines check
and route (header fields of the list command, ids of the order); neither emits nor raises.
"""

from __future__ import annotations

from typing import Any

from domain.codec import RAW_TUPLES
from domain.kinds import Kind

_SUBMIT = RAW_TUPLES[int(Kind.SUBMIT_ORDER)]
_SUBMIT_KIND = int(Kind.SUBMIT_ORDER)
_new = tuple.__new__
_SUBMIT_FIELDS = ("seq", "ts_event", "ts_init", "cause", "kind", "flags", "source",
                  "client_order_id", "instrument_id", "strategy_id", "position_id", "order_list_id")
if _SUBMIT._fields != _SUBMIT_FIELDS:  # submit_of builds the tuple positionally
    raise RuntimeError(f"SUBMIT_ORDER fields changed: {_SUBMIT._fields}, expected {_SUBMIT_FIELDS}")


def submit_of(order: Any, cmd: Any) -> Any:
    """A SUBMIT_ORDER namedtuple for one order of a list (header of the list command)."""
    return _new(_SUBMIT, (
        cmd.seq, cmd.ts_event, cmd.ts_init, cmd.cause, _SUBMIT_KIND, cmd.flags, cmd.source,
        order.client_order_id, order.instrument_id, order.strategy_id, order.position_id,
        cmd.order_list_id))


def list_orders(cache: Any, cmd: Any) -> list[Any]:
    """Returns the orders of a SUBMIT_ORDER_LIST (see the module contract)."""
    # The list's orders were initialized just before the command, so they are not closed:
    # the strategy's index of orders not closed holds them (closed orders are never scanned).
    t = cache.trading
    orders = t.orders
    list_id = cmd.order_list_id
    return [o for coid in t.orders_by_strategy.get(cmd.strategy_id, ())
            if (o := orders[coid]).order_list_id == list_id]


def list_submits(cache: Any, cmd: Any) -> tuple[list[Any], list[Any]]:
    """Returns ``(orders, submits)`` of a SUBMIT_ORDER_LIST (see the module contract)."""
    orders = list_orders(cache, cmd)
    return orders, [submit_of(o, cmd) for o in orders]

