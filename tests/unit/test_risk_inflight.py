"""The risk engine's forwarded submits: the rate window and the in-flight orders."""

from __future__ import annotations

from types import SimpleNamespace

from domain.order_fsm import OrderStatus
from engines.risk_inflight import Forwarded


class _Cache:
    def __init__(self, statuses: dict[int, OrderStatus], locked: set[int] = frozenset()) -> None:
        self._orders = {c: SimpleNamespace(status=s) for c, s in statuses.items()}
        self._account = SimpleNamespace(lock_of=lambda coid: 1 if coid in locked else 0)

    def order(self, coid: int):
        return self._orders.get(coid)

    def account(self, account_id: int):
        return self._account


def test_the_window_keeps_submits_inside_the_half_open_rate_window():
    f = Forwarded()
    for t in (10, 20, 30):
        f.recent.append(t)
    f.prune(_Cache({}), 40, (5, 20))
    assert list(f.recent) == [30]  # (40 - 20, 40]: 20 left the window


def test_without_a_rate_limit_a_prune_forgets_every_earlier_submit():
    f = Forwarded()
    f.note(1, 7, 3, 100, ts_init=10)
    f.prune(_Cache({1: OrderStatus.INITIALIZED}), 50, None)
    assert list(f.recent) == [] and f.orders == {1: (7, 3, 100)}


def test_an_order_leaves_flight_once_applied_past_submitted_or_its_funds_are_locked():
    f = Forwarded()
    for coid in (1, 2, 3, 4):
        f.note(coid, 7, 3, 10 * coid, ts_init=5)
    cache = _Cache({1: OrderStatus.INITIALIZED, 2: OrderStatus.SUBMITTED,
                    3: OrderStatus.FILLED}, locked={2})
    assert f.n_unapplied(_Cache({c: OrderStatus.INITIALIZED for c in (1, 2, 3, 4)}), 7) == 4
    f.prune(cache, 6, None)
    assert f.orders == {1: (7, 3, 10)}  # 2 locked, 3 filled, 4 unknown to the cache
    assert f.pending_lock_raw(3) == 10 and f.pending_lock_raw(4) == 0


def test_forwarded_state_round_trips_through_snapshot():
    f = Forwarded()
    f.note(2, 7, 3, 20, ts_init=5)
    f.note(1, 7, 3, 10, ts_init=6)
    doc = f.snapshot()
    assert doc == {"recent": [5, 6], "inflight": [[1, 7, 3, 10], [2, 7, 3, 20]]}
    g = Forwarded()
    g.restore(doc)
    assert g.snapshot() == doc
