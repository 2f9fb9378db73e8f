"""The leaves of the orders that will fill without a price condition, summed as the cache folds
order events, so the risk engine's projected position (:func:`engines.risk_margin.pending_raw`)
reads a sum instead of walking every open order (at 10 k quotes/s hundreds of orders wait for
the venue's answer: ``perf/live_latency.py``, docs/hot-paths.md).

Design contract:
- an order *counts* while it is open (in ``orders_open``: a fill after a cancel leaves it in
  the closed history), past INITIALIZED, and SUBMITTED or a MARKET order (:func:`counts`, which
  the trading state calls for open orders only); its entry is ``(strategy_id, instrument_id, position_id)`` -> its signed
  leaves, set again after every event of the order (or dropped), so whatever the event changed
  (status, fill, quantity, position id) is reflected;
- ``sums`` holds, per key, ``[number of counted orders, sum of their signed leaves]``; a key
  leaves it with its last order (memory follows the open orders);
- ``either_or`` lists, per ``(strategy_id, instrument_id)``, the counted OCO / OUO orders that
  name a linked order: the orders a check leaves out as someone's partner, found without a scan;
- derived state: neither hashed nor snapshotted; :meth:`PendingLeaves.rebuild` recomputes it
  from the open orders on restore.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from domain.enums import ContingencyType, OrderSide, OrderType
from domain.order_fsm import CLOSED_STATUSES, OrderStatus

#: contingencies where at most one of the linked orders fills
EITHER_OR = (int(ContingencyType.OCO), int(ContingencyType.OUO))
_SUBMITTED, _INITIALIZED, _MARKET = OrderStatus.SUBMITTED, OrderStatus.INITIALIZED, OrderType.MARKET
_BUY = OrderSide.BUY


def counts(order: Any) -> bool:
    """True when ``order`` will fill without a price condition once the venue has it: not
    closed, past INITIALIZED, and SUBMITTED or a MARKET order."""
    status = order.status
    if status == _SUBMITTED:
        return True
    return order.order_type == _MARKET and status != _INITIALIZED \
        and status not in CLOSED_STATUSES


class PendingLeaves:
    """Signed leaves of the counted orders, per strategy, instrument and position."""

    __slots__ = ("counted", "sums", "either_or")

    def __init__(self) -> None:
        #: coid -> ((strategy_id, instrument_id, position_id), signed leaves raw)
        self.counted: dict[int, tuple[tuple[int, int, int], int]] = {}
        self.sums: dict[tuple[int, int, int], list[int]] = {}
        self.either_or: dict[tuple[int, int], dict[int, None]] = {}

    def drop(self, client_order_id: int) -> None:
        """Removes the order's entry (none: nothing happens)."""
        entry = self.counted.pop(client_order_id, None)
        if entry is None:
            return
        key, leaves = entry
        total = self.sums[key]
        total[0] -= 1
        total[1] -= leaves
        if not total[0]:
            del self.sums[key]
        group = self.either_or.get(key[:2])
        if group is not None and group.pop(client_order_id, 0) is None and not group:
            del self.either_or[key[:2]]

    def put(self, order: Any, was: tuple[tuple[int, int, int], int] | None = None) -> None:
        """Enters an order that :func:`counts` as it is now, in place of ``was`` (its entry
        before, from ``counted``; None: it had none)."""
        coid = order.client_order_id
        key = (order.strategy_id, order.instrument_id, order.position_id)
        leaves = order.quantity_raw - order.filled_raw
        if order.side != _BUY:
            leaves = -leaves
        if was is not None:
            if was[0] == key and was[1] == leaves:
                return  # the event changed nothing counted (an ACCEPTED MARKET order)
            self.drop(coid)
        self.counted[coid] = (key, leaves)
        total = self.sums.get(key)
        if total is None:
            self.sums[key] = [1, leaves]
        else:
            total[0] += 1
            total[1] += leaves
        if order.linked_order_id and int(order.contingency) in EITHER_OR:
            self.either_or.setdefault(key[:2], {})[coid] = None

    def rebuild(self, orders: Mapping[int, Any], open_ids: Iterable[int]) -> None:
        """Recomputes every entry from the open orders (after a restore)."""
        self.counted.clear()
        self.sums.clear()
        self.either_or.clear()
        for coid in open_ids:
            if counts(orders[coid]):
                self.put(orders[coid])
