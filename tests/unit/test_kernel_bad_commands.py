"""Bad commands are events in the log, never exceptions; a venue event that breaks the order state
machine stops the kernel with a typed error naming the seq (issue 4, "Bad input")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from domain.codec import encode
from domain.enums import OrderSide
from domain.kinds import Kind
from domain.order_fsm import OrderStatus
from engines.cache import CacheError
from engines.exchange import ExchangeConfig
from engines.exchange.latency import ConstantLatency
from engines.strategy import Strategy
from tests.unit.kernel_rig import INPUT, SYMBOL, build, feed, log, quotes


class Scripted(Strategy):
    """Runs ``script[n](self)`` on the n-th quote (1-based)."""

    def __init__(self, script: dict[int, Callable[[Scripted], Any]]) -> None:
        super().__init__("scripted")
        self.script = script
        self.n = 0
        self.ids: list[int] = []
        self.events: list[Any] = []

    def on_start(self) -> None:
        self.subscribe_quotes(SYMBOL)

    def on_quote(self, quote: Any) -> None:
        self.n += 1
        action = self.script.get(self.n)
        if action is not None:
            action(self)

    def on_order_event(self, rec: Any) -> None:
        self.events.append(rec)

    def buy(self, qty: int = 1000) -> None:
        self.ids.append(self.submit_order(self.order_factory.market(SYMBOL, OrderSide.BUY, qty)))


def _run(script: dict[int, Callable[[Scripted], Any]], n: int = 6) -> tuple[Any, Scripted]:
    strategy = Scripted(script)
    kernel = build([strategy])
    feed(kernel, quotes(kernel, np.full(n, 110_000, dtype=np.int64)))
    assert kernel.faulted is None
    return kernel, strategy


def _reason(kernel: Any, rec: Any) -> str:
    return kernel.strings.text(rec.reason_id)


def test_an_order_for_an_unknown_instrument_is_denied_by_risk():
    def order_unknown(s: Scripted) -> None:
        s.ids.append(s.submit_order(s.order_factory.limit("GBP/USD.SIM", OrderSide.BUY, 1000,
                                                          "1.25010")))

    kernel, s = _run({2: order_unknown})
    (denied,) = [r for r in log(kernel) if r.kind == Kind.ORDER_DENIED]
    assert denied.client_order_id == s.ids[0]
    assert "unknown instrument: GBP/USD.SIM" in _reason(kernel, denied)
    order = kernel.cache.order(s.ids[0])
    assert order.status == OrderStatus.DENIED and order.price_raw == 125010


def test_a_modify_and_a_cancel_of_a_filled_order_are_rejected_and_change_nothing():
    kernel, s = _run({2: Scripted.buy, 4: lambda s: s.modify_order(s.ids[0], quantity=500),
                      5: lambda s: s.cancel_order(s.ids[0])})
    order = kernel.cache.order(s.ids[0])
    assert order.status == OrderStatus.FILLED and order.filled_raw == 1000
    kinds = [Kind(r.kind).name for r in s.events]
    assert kinds[-2:] == ["ORDER_MODIFY_REJECTED", "ORDER_CANCEL_REJECTED"]
    assert "closed (FILLED)" in _reason(kernel, s.events[-2])
    assert "closed (FILLED)" in _reason(kernel, s.events[-1])


def test_a_modify_and_a_cancel_of_an_unknown_order_are_rejected():
    kernel, s = _run({2: lambda s: s.modify_order(999, price="1.10000"),
                      3: lambda s: s.cancel_order(999)})
    rejects = [r for r in log(kernel)
               if r.kind in (Kind.ORDER_MODIFY_REJECTED, Kind.ORDER_CANCEL_REJECTED)]
    assert [r.client_order_id for r in rejects] == [999, 999]
    assert "unknown" in _reason(kernel, rejects[0]) and "unknown" in _reason(kernel, rejects[1])
    assert kernel.cache.order(999) is None


def test_a_fill_for_an_unknown_order_stops_the_kernel_naming_the_seq():
    kernel, _ = _run({})
    fill = encode(Kind.ORDER_FILLED, ts_init=kernel.ctx.now_ns + 1, flags=INPUT,
                  client_order_id=424242, instrument_id=kernel.strings.id_of(SYMBOL),
                  last_qty=1, last_px=110_000, price_precision=5, side=int(OrderSide.BUY))
    with pytest.raises(CacheError, match=f"seq {kernel.last_seq + 1}: ORDER_FILLED for unknown"):
        kernel.publish_one(fill[0])
    assert isinstance(kernel.faulted, CacheError)


def _rest(s: Scripted) -> None:
    """A BUY limit far below the market: it rests."""
    s.ids.append(s.submit_order(s.order_factory.limit(SYMBOL, OrderSide.BUY, 1000, "1.00000")))


def _rejects(kernel: Any, kind: Kind) -> list[str]:
    return [_reason(kernel, r) for r in log(kernel) if r.kind == kind]


def test_two_cancels_of_one_order_in_one_cascade_give_one_cancel_and_one_rejection():
    def cancel_twice(s: Scripted) -> None:
        s.cancel_order(s.ids[0])
        s.cancel_order(s.ids[0])

    kernel, s = _run({2: _rest, 3: cancel_twice})
    assert kernel.cache.order(s.ids[0]).status == OrderStatus.CANCELED
    assert sum(r.kind == Kind.ORDER_CANCELED for r in log(kernel)) == 1
    assert _rejects(kernel, Kind.ORDER_CANCEL_REJECTED) == [
        f"cancel: order {s.ids[0]} is closed (CANCELED) by an event of this cascade"]


def test_a_modify_after_a_cancel_in_one_cascade_is_rejected():
    def cancel_then_modify(s: Scripted) -> None:
        s.cancel_order(s.ids[0])
        s.modify_order(s.ids[0], price="1.00010")

    kernel, s = _run({2: _rest, 3: cancel_then_modify})
    assert kernel.cache.order(s.ids[0]).status == OrderStatus.CANCELED
    assert _rejects(kernel, Kind.ORDER_MODIFY_REJECTED) == [
        f"modify: order {s.ids[0]} is closed (CANCELED) by an event of this cascade"]


def test_a_cancel_after_a_modify_that_fills_in_one_cascade_is_rejected():
    def modify_to_cross_then_cancel(s: Scripted) -> None:
        s.modify_order(s.ids[0], price="1.10010")  # the ask: fills at once
        s.cancel_order(s.ids[0])

    kernel, s = _run({2: _rest, 3: modify_to_cross_then_cancel})
    assert kernel.cache.order(s.ids[0]).status == OrderStatus.FILLED
    assert _rejects(kernel, Kind.ORDER_CANCEL_REJECTED) == [
        f"cancel: order {s.ids[0]} is closed (FILLED) by an event of this cascade"]


def test_a_second_cancel_and_a_modify_of_an_order_with_a_cancel_in_flight_are_rejected():
    """The second cancel goes to the venue (the kernel cannot know the first one will succeed)
    and the venue rejects it; the modify is refused by risk (a cancel is pending)."""
    def cancel(s: Scripted) -> None:
        s.cancel_order(s.ids[0])

    def cancel_and_modify(s: Scripted) -> None:
        s.cancel_order(s.ids[0])
        s.modify_order(s.ids[0], quantity=500)

    strategy = Scripted({2: _rest, 10: cancel, 11: cancel_and_modify})
    slow = ExchangeConfig(venue="SIM", latency=ConstantLatency(cancel_ns=5_000_000))
    kernel = build([strategy], exchange=slow)
    feed(kernel, quotes(kernel, np.full(30, 110_000, dtype=np.int64)))
    assert kernel.faulted is None
    assert kernel.cache.order(strategy.ids[0]).status == OrderStatus.CANCELED
    (rejected,) = _rejects(kernel, Kind.ORDER_CANCEL_REJECTED)
    assert "not open" in rejected
    assert _rejects(kernel, Kind.ORDER_MODIFY_REJECTED) == [
        f"modify: order {strategy.ids[0]} has a cancel pending"]
