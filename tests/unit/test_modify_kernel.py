"""Modify through the whole kernel (issue 12, item 2): trigger price, limit price and quantity
of a resting order change with ORDER_PENDING_UPDATE -> ORDER_UPDATED; a modify the venue
refuses is ORDER_PENDING_UPDATE -> ORDER_MODIFY_REJECTED and the order keeps working as it was."""

from __future__ import annotations

from typing import Any

from domain.enums import OrderSide
from domain.kinds import Kind
from domain.order_fsm import OrderStatus
from tests.unit.kernel_rig import SYMBOL, log
from tests.unit.test_kernel_bad_commands import Scripted
from tests.unit.test_trailing_kernel import _run

BUY, SELL = OrderSide.BUY, OrderSide.SELL


def _events(kernel: Any, coid: int) -> list[Any]:
    return [r for r in log(kernel) if getattr(r, "client_order_id", 0) == coid
            and Kind(r.kind).name.startswith("ORDER_")]


def _stop_limit(s: Scripted) -> None:
    # a BUY stop-limit above the ask (1.10010): trigger 1.10100, limit 1.10120
    s.ids.append(s.submit_order(s.order_factory.stop_limit(SYMBOL, BUY, 2000, "1.10120",
                                                           "1.10100")))


def test_a_resting_stop_limits_trigger_price_and_quantity_change_in_one_modify() -> None:
    def modify(s: Scripted) -> None:
        s.modify_order(s.ids[0], quantity=3000, price="1.10220", trigger_price="1.10200")

    kernel, s = _run({1: _stop_limit, 2: modify}, [110_000, 110_000, 110_000, 110_150])
    names = [Kind(r.kind).name for r in _events(kernel, s.ids[0])]
    assert names == ["ORDER_INITIALIZED", "ORDER_SUBMITTED", "ORDER_ACCEPTED",
                     "ORDER_PENDING_UPDATE", "ORDER_UPDATED"]
    (updated,) = [r for r in _events(kernel, s.ids[0]) if r.kind == Kind.ORDER_UPDATED]
    assert (updated.quantity, updated.price, updated.trigger_price) == (3000, 110_220, 110_200)
    order = kernel.cache.order(s.ids[0])
    assert order.status == OrderStatus.ACCEPTED  # the ask 1.10160 is below the new trigger
    assert (order.quantity_raw, order.price_raw, order.trigger_price_raw) == (3000, 110_220,
                                                                              110_200)


def test_the_modified_trigger_is_the_one_that_fires() -> None:
    def modify(s: Scripted) -> None:
        s.modify_order(s.ids[0], trigger_price="1.10050", price="1.10070")

    kernel, s = _run({1: _stop_limit, 2: modify}, [110_000, 110_000, 110_000, 110_050])
    names = [Kind(r.kind).name for r in _events(kernel, s.ids[0])]
    assert names[-3:] == ["ORDER_UPDATED", "ORDER_TRIGGERED", "ORDER_FILLED"]
    (fill,) = [r for r in _events(kernel, s.ids[0]) if r.kind == Kind.ORDER_FILLED]
    assert fill.last_px <= 110_070  # within the modified limit


def test_a_modify_the_venue_refuses_is_modify_rejected_and_the_order_keeps_working() -> None:
    def rest(s: Scripted) -> None:
        s.ids.append(s.submit_order(s.order_factory.limit(SYMBOL, BUY, 1000, "1.09900",
                                                          post_only=True)))

    def cross(s: Scripted) -> None:
        s.modify_order(s.ids[0], price="1.10020")  # through the ask: post-only refuses it

    kernel, s = _run({1: rest, 2: cross}, [110_000, 110_000, 110_000, 109_890])
    names = [Kind(r.kind).name for r in _events(kernel, s.ids[0])]
    assert names[3:5] == ["ORDER_PENDING_UPDATE", "ORDER_MODIFY_REJECTED"]
    assert names[-1] == "ORDER_FILLED"  # still resting at 1.09900: the ask came down to it
    order = kernel.cache.order(s.ids[0])
    assert order.status == OrderStatus.FILLED and order.price_raw == 109_900
