"""The immediate-fill shortcut (engines.exchange.immediate) against the general submit path."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from domain.enums import OrderSide, OrderType, TimeInForce
from engines.exchange import ConstantLatency, immediate
from tests.unit.exchange_harness import Venue

BUY, SELL = OrderSide.BUY, OrderSide.SELL


def _market_orders(v: Venue) -> None:
    """Market orders that take the shortcut and ones that must not (rejects, cancels, DAY,
    capped reduce-only); the first quote's displayed sizes are small on purpose."""
    v.submit(BUY, OrderType.MARKET, 1)  # no quote yet: rejected
    v.quote(480000, 480025, bid_size=5, ask_size=4)
    v.submit(BUY, OrderType.MARKET, 3)
    v.submit(SELL, OrderType.MARKET, 2, tif=TimeInForce.IOC)
    v.submit(BUY, OrderType.MARKET, 3, tif=TimeInForce.FOK)  # displayed sizes: 1 left, canceled
    v.submit(SELL, OrderType.MARKET, 3, tif=TimeInForce.DAY)
    v.submit(SELL, OrderType.MARKET, 2, reduce_only=True)  # capped (UPDATED) or rejected
    v.quote(480000, 480050, bid_size=7, ask_size=9)
    v.submit(BUY, OrderType.MARKET, 9)
    v.submit(BUY, OrderType.MARKET, 1)
    v.submit(SELL, OrderType.MARKET, 7)
    v.submit(SELL, OrderType.MARKET, 1, reduce_only=True)  # covered by the position when sizes are nominal


def _run(monkeypatch: pytest.MonkeyPatch, general_only: bool,
         scenario: Callable[[Venue], None], **config: Any) -> tuple[bytes, str, int]:
    taken = []
    real = immediate.fill_at_touch

    def spy(*args: Any) -> bool:
        done = False if general_only else real(*args)
        taken.append(done)
        return done

    monkeypatch.setattr(immediate, "fill_at_touch", spy)
    v = Venue(**config)
    scenario(v)
    h = hashlib.sha256()
    v.exchange.digest(h)
    return v.log_bytes(), h.hexdigest(), sum(taken)


@pytest.mark.parametrize(("nominal", "n_shortcut"), [(True, 7), (False, 4)])
def test_market_orders_log_the_same_records_and_state_with_or_without_the_shortcut(
        monkeypatch: pytest.MonkeyPatch, nominal: bool, n_shortcut: int) -> None:
    fast = _run(monkeypatch, False, _market_orders, nominal_l1_sizes=nominal)
    general = _run(monkeypatch, True, _market_orders, nominal_l1_sizes=nominal)
    assert fast[:2] == general[:2]
    assert general[2] == 0 and fast[2] == n_shortcut  # the shortcut really ran


def test_the_shortcut_leaves_limits_stops_and_l2_venues_to_the_general_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def others(v: Venue) -> None:
        v.quote(480000, 480025)
        v.submit(BUY, OrderType.LIMIT, 2, price=480100)
        v.submit(SELL, OrderType.STOP_MARKET, 1, trigger=479900)
        v.submit(BUY, OrderType.MARKET_TO_LIMIT, 1)

    assert _run(monkeypatch, False, others)[2] == 0


def test_with_a_response_latency_the_shortcut_schedules_the_same_records(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def delayed(v: Venue) -> None:
        _market_orders(v)
        v.advance(v.t + 10_000)

    latency = ConstantLatency(event_ns=5)
    fast = _run(monkeypatch, False, delayed, latency=latency)
    general = _run(monkeypatch, True, delayed, latency=latency)
    assert fast[:2] == general[:2] and fast[2] == 7
