"""What the risk engine forwarded and the cache does not show yet: the submit-rate window and
the in-flight orders.

Design contract:
- ``recent`` holds the ``ts_init`` of forwarded submits, ascending; :meth:`Forwarded.prune`
  keeps those inside the rate window ``(now - window_ns, now]``, or none when no rate is
  limited (the submits since the last prune are still noted, as state, until then);
- ``orders`` maps a forwarded order's client order id to ``(instrument_id, account_id,
  lock_raw)`` until the cache shows it applied: no longer INITIALIZED / SUBMITTED, or its funds
  locked by the account;
- a pure function of the records seen: ``snapshot`` / ``restore`` round-trip it exactly, and
  iteration follows insertion (forwarding) order, never hash order.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from domain.order_fsm import OrderStatus

_INFLIGHT_STATUSES = (OrderStatus.INITIALIZED, OrderStatus.SUBMITTED)


class Forwarded:
    """The submit-rate window and the in-flight orders of one risk engine."""

    __slots__ = ("recent", "orders")

    def __init__(self) -> None:
        self.recent: deque[int] = deque()
        self.orders: dict[int, tuple[int, int, int]] = {}  # coid -> (iid, account, lock raw)

    def note(self, client_order_id: int, instrument_id: int, account_id: int, lock_raw: int,
             ts_init: int) -> None:
        """Records one forwarded order, submitted at ``ts_init``."""
        self.recent.append(ts_init)
        self.orders[client_order_id] = (instrument_id, account_id, lock_raw)

    def prune(self, cache: Any, now_ns: int, rate: tuple[int, int] | None) -> None:
        """Drops submits that left the rate window and orders the cache has applied."""
        recent = self.recent
        if rate is not None:
            oldest = now_ns - rate[1]
            while recent and recent[0] <= oldest:
                recent.popleft()
        elif recent:
            recent.clear()
        if not self.orders:
            return
        done = []
        for coid, (_, account_id, _) in self.orders.items():
            order = cache.order(coid)
            # The account is read only for an order still in flight by status (rarely: a
            # market order is filled before the next submit).
            if order is None or order.status not in _INFLIGHT_STATUSES:
                done.append(coid)
                continue
            account = cache.account(account_id) if account_id else None
            if account is not None and account.lock_of(coid):
                done.append(coid)
        for coid in done:
            del self.orders[coid]

    def n_unapplied(self, cache: Any, instrument_id: int) -> int:
        """Returns how many forwarded orders of the instrument the cache still has INITIALIZED
        (their ORDER_SUBMITTED not applied yet)."""
        return sum(
            1 for coid, (iid, _, _) in self.orders.items()
            if iid == instrument_id and cache.order(coid).status == OrderStatus.INITIALIZED
        )

    def pending_lock_raw(self, account_id: int) -> int:
        """Returns the funds the account's in-flight orders will lock (raw)."""
        return sum(raw for _, acc, raw in self.orders.values() if acc == account_id)

    def snapshot(self) -> dict[str, Any]:
        """Returns the window and the in-flight orders (sorted by client order id)."""
        return {
            "recent": list(self.recent),
            "inflight": [[c, *v] for c, v in sorted(self.orders.items())],
        }

    def restore(self, doc: dict[str, Any]) -> None:
        """Replaces the state with a :meth:`snapshot`'s."""
        self.recent = deque(int(t) for t in doc["recent"])
        self.orders = {int(c): (int(i), int(a), int(r)) for c, i, a, r in doc["inflight"]}
