"""Trailing stops and if-touched orders through the whole kernel: strategy factory -> risk ->
simulated exchange -> cache, on real QUOTE records (kernel_rig: EUR/USD, tick 0.00001)."""

from __future__ import annotations

import numpy as np

from domain.enums import OrderSide, TrailingOffsetType, TriggerType
from domain.kinds import Kind
from domain.order_fsm import OrderStatus
from tests.unit.kernel_rig import SYMBOL, build, feed, log, quotes
from tests.unit.test_kernel_bad_commands import Scripted

BUY, SELL = OrderSide.BUY, OrderSide.SELL


def _run(script: dict, bids: list[int]) -> tuple:
    s = Scripted(script)
    kernel = build([s])
    feed(kernel, quotes(kernel, np.array(bids, dtype=np.int64)))
    assert kernel.faulted is None
    return kernel, s


def _protect_long(s: Scripted) -> None:
    s.buy(1000)
    s.ids.append(s.submit_order(s.order_factory.trailing_stop_market(
        SYMBOL, SELL, 1000, "0.00050", trigger_type=TriggerType.BID_ASK)))


def test_a_trailing_stop_protecting_a_long_locks_in_the_rise_and_closes_it() -> None:
    # bids: 1.10000 entry, rises to 1.10200, falls back through 1.10150
    kernel, s = _run({1: _protect_long}, [110000, 110100, 110200, 110180, 110160, 110150, 110100])
    entry, stop = s.ids
    order = kernel.cache.order(stop)
    assert order.status == OrderStatus.FILLED and order.trailing == (
        int(TrailingOffsetType.PRICE), int(TriggerType.BID_ASK), 50, 0)
    updates = [r.trigger_price for r in log(kernel)
               if r.kind == Kind.ORDER_UPDATED and r.client_order_id == stop]
    assert updates == [109950, 110050, 110150]  # only ever up
    fill = [r for r in log(kernel) if r.kind == Kind.ORDER_FILLED and r.client_order_id == stop]
    assert [f.last_px for f in fill] == [110150]
    assert all(p.signed_raw == 0 for p in kernel.cache.trading.positions.values())


def test_the_trailing_offsets_record_follows_its_order_initialized() -> None:
    kernel, s = _run({1: _protect_long}, [110000])
    kinds = [Kind(r.kind).name for r in log(kernel) if getattr(r, "client_order_id", 0) == s.ids[1]]
    assert kinds[:3] == ["ORDER_INITIALIZED", "TRAILING_OFFSETS", "SUBMIT_ORDER"]


def test_ticks_and_basis_points_offsets_are_converted_by_the_factory() -> None:
    def orders(s: Scripted) -> None:
        f = s.order_factory
        s.ids.append(f.trailing_stop_market(SYMBOL, SELL, 1000, 7,
                                            trailing_offset_type=TrailingOffsetType.TICKS))
        s.ids.append(f.trailing_stop_limit(SYMBOL, BUY, 1000, "12.5", "2.25",
                                           trailing_offset_type=TrailingOffsetType.BASIS_POINTS))

    _, s = _run({1: orders}, [110000])
    assert (s.ids[0].spec.trailing_offset, s.ids[1].spec.trailing_offset,
            s.ids[1].spec.limit_offset) == (7, 1250, 225)


def test_a_buy_market_if_touched_enters_on_the_dip() -> None:
    def dip(s: Scripted) -> None:
        s.ids.append(s.submit_order(s.order_factory.market_if_touched(
            SYMBOL, BUY, 1000, "1.09900")))

    kernel, s = _run({1: dip}, [110000, 109950, 109890, 109950])
    fills = [r for r in log(kernel) if r.kind == Kind.ORDER_FILLED]
    assert [(f.client_order_id, f.last_px) for f in fills] == [(s.ids[0], 109900)]


def test_modify_of_a_trailing_stop_updates_its_trigger_and_quantity_and_refuses_a_price() -> None:
    """(A trigger modified further from the market would be trailed back by the next quote.)"""
    def modify(s: Scripted) -> None:
        s.modify_order(s.ids[1], quantity=500, trigger_price="1.09980")  # tighter: it stays

    def bad_modify(s: Scripted) -> None:
        s.modify_order(s.ids[1], price="1.09900")

    kernel, s = _run({1: _protect_long, 2: modify, 3: bad_modify}, [110000, 110000, 110000])
    events = [Kind(r.kind).name for r in log(kernel) if Kind(r.kind).name.startswith("ORDER_")
              and getattr(r, "client_order_id", 0) == s.ids[1]]
    assert events[-4:] == ["ORDER_PENDING_UPDATE", "ORDER_UPDATED", "ORDER_PENDING_UPDATE",
                           "ORDER_MODIFY_REJECTED"]
    order = kernel.cache.order(s.ids[1])
    assert (order.quantity_raw, order.trigger_price_raw) == (500, 109980)
