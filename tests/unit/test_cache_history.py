"""Bounded memory in the kernel: closed orders leave the hot indexes, a bounded closed history,
a state hash that does not depend on the bound, reasons interned per template, a routing map
as small as the open orders."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from domain.codec import encode
from domain.enums import OrderSide
from domain.kinds import KIND_DTYPES, Kind
from domain.order_fsm import OrderStatus
from engines.cache import Cache, CacheError
from engines.kernel import Kernel
from engines.reasons import reason_text
from engines.risk_checks import RiskConfig
from engines.strategies.ema_cross import EmaCross
from engines.strategy import Strategy
from replay.result_tables import refusals
from tests.unit.kernel_rig import INPUT, SYMBOL, Tape, build, feed, log, quotes


def _walk(n: int, seed: int = 3) -> np.ndarray:
    return 110_000 + np.cumsum(np.random.default_rng(seed).integers(-3, 4, n))


def _ema_run(monkeypatch: pytest.MonkeyPatch, history: int | None, n: int = 3000,
             journal: Any = None) -> Kernel:
    monkeypatch.setattr(Cache, "default_order_history", history)
    kernel = build([EmaCross(SYMBOL, trade_size=1000)], journal=journal)
    feed(kernel, quotes(kernel, _walk(n)))
    return kernel


def test_closed_orders_leave_the_hot_indexes_and_stay_in_the_history(
        monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = _ema_run(monkeypatch, None)
    t = kernel.cache.trading
    assert t.n_orders == len(t.orders) > 50
    assert len(t.orders_closed) == t.n_orders - len(t.orders_open)
    indexed = {c for members in t.orders_by_strategy.values() for c in members}
    assert indexed == set(t.orders_open)  # only orders not closed
    assert all(not t.orders[c].is_closed for c in indexed)
    assert len(kernel.cache.orders()) == t.n_orders  # history: every order, in log order


def test_a_bounded_history_keeps_the_state_hash_of_an_unbounded_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    full = _ema_run(monkeypatch, None)
    bounded = _ema_run(monkeypatch, 5)
    t = bounded.cache.trading
    assert t.n_orders == full.cache.trading.n_orders > 50
    assert len(t.orders_closed) == 5 and len(t.orders) <= 5 + len(t.orders_open)
    assert bounded.state_hash() == full.state_hash()
    assert bounded.state_hash(scope="all") == full.state_hash(scope="all")
    kept = [o.client_order_id for o in bounded.cache.orders()]
    assert kept == [o.client_order_id for o in full.cache.orders()][-len(kept):]


def test_the_state_hash_covers_a_closed_orders_final_state(
        monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = _ema_run(monkeypatch, 0)
    before = kernel.state_hash()
    kernel.cache.trading.closed_digest = bytes(16)
    assert kernel.state_hash() != before


def test_a_snapshot_keeps_the_bound_the_count_and_the_chain(
        monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = _ema_run(monkeypatch, 4, n=1500)
    doc, arrays = kernel.cache.snapshot()
    other = Cache()
    other.restore(doc, arrays)
    a, b = kernel.cache.trading, other.trading
    assert (b.order_history, b.n_orders, b.closed_digest) == (4, a.n_orders, a.closed_digest)
    assert list(b.orders) == list(a.orders) and list(b.orders_closed) == list(a.orders_closed)


def _denied_run(monkeypatch: pytest.MonkeyPatch, history: int | None) -> Kernel:
    monkeypatch.setattr(Cache, "default_order_history", history)
    kernel = build([EmaCross(SYMBOL, trade_size=1000)],
                   risk=RiskConfig(max_order_qty={SYMBOL: "10"}))
    feed(kernel, quotes(kernel, _walk(1500)))
    return kernel


def test_forgotten_refused_orders_are_still_counted_and_survive_a_snapshot(
        monkeypatch: pytest.MonkeyPatch) -> None:
    full, bounded = _denied_run(monkeypatch, None), _denied_run(monkeypatch, 3)
    text = full.strings.text
    t = bounded.cache.trading
    assert len(t.orders) <= 3 + len(t.orders_open) < t.n_orders == full.cache.trading.n_orders
    (((status, prefix), (n, example)),) = t.forgotten_refusals.items()
    assert (OrderStatus(status), prefix) == (OrderStatus.DENIED, "max order quantity")
    assert n == t.n_orders - len(t.orders) and example.startswith("max order quantity: ")
    assert refusals(bounded.cache, text) == refusals(full.cache, text)
    assert refusals(full.cache, text)["n_denied"] == t.n_orders > 10
    other = Cache()
    other.restore(*bounded.cache.snapshot())
    assert other.trading.forgotten_refusals == t.forgotten_refusals
    assert refusals(other, text) == refusals(full.cache, text)


def test_a_late_event_for_a_forgotten_order_names_the_bound(
        monkeypatch: pytest.MonkeyPatch) -> None:
    tape = Tape()
    kernel = _ema_run(monkeypatch, 0, n=1500, journal=tape)
    recs = tape.records()
    inits = recs[recs["kind"] == Kind.ORDER_INITIALIZED].view(KIND_DTYPES[Kind.ORDER_INITIALIZED])
    first = int(inits["client_order_id"][0])  # the strategy's first order, long closed
    assert kernel.cache.order(first) is None and kernel.cache.trading.n_orders > 10
    late = encode(Kind.ORDER_EXPIRED, ts_init=kernel.ctx.now_ns, flags=INPUT,
                  client_order_id=first, instrument_id=kernel.strings.id_of(SYMBOL))
    with pytest.raises(CacheError, match="order_history"):
        kernel.publish_one(late[0])


class CancelsTwice(Strategy):
    """Submits market orders, then cancels each (filled, so closed) one twice."""

    def __init__(self) -> None:
        super().__init__("cancels_twice")
        self.n = 0
        self.ids: list[int] = []

    def on_start(self) -> None:
        self.subscribe_quotes(SYMBOL)

    def on_quote(self, quote: Any) -> None:
        self.n += 1
        if self.n % 2:
            self.ids.append(self.submit_order(
                self.order_factory.market(SYMBOL, OrderSide.BUY, 1000)))
        else:
            self.cancel_order(self.ids[-1])
            self.cancel_order(self.ids[-1] + 1000)  # never existed


def test_cancel_rejects_intern_one_template_each_not_one_string_per_order() -> None:
    strategy = CancelsTwice()
    kernel = build([strategy])
    n_strings = len(kernel.strings)
    feed(kernel, quotes(kernel, _walk(40)))
    rejects = [r for r in log(kernel) if r.kind == Kind.ORDER_CANCEL_REJECTED]
    assert len(rejects) == 40
    assert len({r.reason_id for r in rejects}) == 2  # closed (FILLED), unknown
    assert len(kernel.strings) <= n_strings + 4
    texts = {reason_text(kernel.strings, r) for r in rejects[:2]}
    assert texts == {f"cancel: order {strategy.ids[0]} is closed (FILLED)",
                     f"cancel: order {strategy.ids[0] + 1000} is unknown"}


def test_the_routing_map_holds_only_orders_not_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = _ema_run(monkeypatch, None)
    execution = kernel.component("ExecEngine")
    open_ids = set(kernel.cache.trading.orders_open)
    assert set(execution._order_position) <= open_ids
    assert kernel.cache.trading.n_orders > 50
