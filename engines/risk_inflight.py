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
  iteration follows insertion (forwarding) order, never hash order;
- per call O(orders noted or changed since the last prune) for :meth:`Forwarded.prune`,
  O(forwarded orders not yet applied) for :meth:`Forwarded.n_unapplied`, O(1) for
  :meth:`Forwarded.pending_lock_raw` (the locks are summed per account as orders come and go).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from domain.order_fsm import OrderStatus

_INFLIGHT_STATUSES = (OrderStatus.INITIALIZED, OrderStatus.SUBMITTED)

_ST_INITIALIZED = OrderStatus.INITIALIZED  # read per order (a global read is cheaper)


class Forwarded:
    """The submit-rate window and the in-flight orders of one risk engine."""

    __slots__ = ("recent", "orders", "unapplied", "_locks", "_revisit", "_trading", "_mark")

    def __init__(self) -> None:
        self.recent: deque[int] = deque()
        self.orders: dict[int, tuple[int, int, int]] = {}  # coid -> (iid, account, lock raw)
        #: coid -> instrument id of the forwarded orders not yet seen past INITIALIZED: every
        #: order of ``orders`` the cache still has INITIALIZED is here (derived, not state)
        self.unapplied: dict[int, int] = {}
        self._locks: dict[int, int] = {}  # account id -> sum of its in-flight orders' locks
        self._revisit: dict[int, None] = {}  # noted since the last prune
        # the trading state whose order change log ``_mark`` points into (None: rescan all)
        self._trading: Any = None
        self._mark = 0

    def note(self, client_order_id: int, instrument_id: int, account_id: int, lock_raw: int,
             ts_init: int) -> None:
        """Records one forwarded order, submitted at ``ts_init``."""
        self.recent.append(ts_init)
        if client_order_id in self.orders:
            self._drop(client_order_id)
        self.orders[client_order_id] = (instrument_id, account_id, lock_raw)
        self._locks[account_id] = self._locks.get(account_id, 0) + lock_raw
        self.unapplied[client_order_id] = instrument_id
        self._revisit[client_order_id] = None

    def _drop(self, client_order_id: int) -> None:
        _, account_id, lock_raw = self.orders.pop(client_order_id)
        rest = self._locks.get(account_id, 0) - lock_raw
        if rest:
            self._locks[account_id] = rest
        else:
            self._locks.pop(account_id, None)
        self.unapplied.pop(client_order_id, None)

    def prune(self, cache: Any, now_ns: int, rate: tuple[int, int] | None) -> None:
        """Drops submits that left the rate window and orders the cache has applied.

        Only the orders noted or changed (an ORDER_* event: the cache's order change log)
        since the last prune are looked at: an order's status and its lock change only by its
        own events, so one found in flight stays so until then. All are looked at when the
        log does not reach back (another or a restored cache, a restored window)."""
        recent = self.recent
        if rate is not None:
            oldest = now_ns - rate[1]
            while recent and recent[0] <= oldest:
                recent.popleft()
        elif recent:
            recent.clear()
        orders = self.orders
        revisit = self._revisit
        trading = getattr(cache, "trading", None)
        look: Any = orders  # all of them, unless fewer changed
        if trading is None:
            self._trading = None
        else:
            dropped, changes = trading.order_changes_dropped, trading.order_changes
            start = self._mark - dropped
            if trading is self._trading and start >= 0 and \
                    len(changes) - start + len(revisit) < len(orders):
                look = [*revisit, *changes[start:]]
            self._trading, self._mark = trading, dropped + len(changes)
        if not orders:
            revisit.clear()
            return
        if look is orders:
            look = list(orders)  # it shrinks while looked at
        revisit.clear()
        unapplied = self.unapplied
        for coid in look:
            entry = orders.get(coid)
            if entry is None:
                continue  # dropped already, or never forwarded
            order = cache.order(coid)
            # The account is read only for an order still in flight by status (rarely: a
            # market order is filled before the next submit).
            if order is None or order.status not in _INFLIGHT_STATUSES:
                self._drop(coid)
                continue
            if order.status != _ST_INITIALIZED:
                unapplied.pop(coid, None)  # an order never returns to INITIALIZED
            account = cache.account(entry[1]) if entry[1] else None
            if account is not None and account.lock_of(coid):
                self._drop(coid)

    def n_unapplied(self, cache: Any, instrument_id: int) -> int:
        """Returns how many forwarded orders of the instrument the cache still has INITIALIZED
        (their ORDER_SUBMITTED not applied yet)."""
        return sum(
            1 for coid, iid in self.unapplied.items()
            if iid == instrument_id and cache.order(coid).status == OrderStatus.INITIALIZED
        )

    def pending_lock_raw(self, account_id: int) -> int:
        """Returns the funds the account's in-flight orders will lock (raw)."""
        return self._locks.get(account_id, 0)

    def snapshot(self) -> dict[str, Any]:
        """Returns the window and the in-flight orders (sorted by client order id)."""
        return {
            "recent": list(self.recent),
            "inflight": [[c, *v] for c, v in sorted(self.orders.items())],
        }

    def restore(self, doc: dict[str, Any]) -> None:
        """Replaces the state with a :meth:`snapshot`'s."""
        self.orders = {}
        self.unapplied = {}
        self._locks = {}
        self._revisit = {}
        self._trading = None  # the next prune looks at every order
        self._mark = 0
        for c, i, a, r in doc["inflight"]:
            self.note(int(c), int(i), int(a), int(r), 0)  # sums the locks, marks all unapplied
        self.recent = deque(int(t) for t in doc["recent"])  # after ``note``, which appends
