"""Orders folded from ORDER_* event fields, order specs and bracket lists."""

from __future__ import annotations

import pytest

from domain.enums import ContingencyType, OrderSide, OrderType, TimeInForce
from domain.kinds import Kind
from domain.order_fsm import InvalidTransition, OrderStatus
from domain.orders import (
    Order,
    OrderFieldError,
    OrderList,
    OrderSpec,
    OrderSpecError,
    OverfillError,
)
from domain.schema import NULL_I64
from domain.values import Price, Quantity

REF = {"client_order_id": 5, "instrument_id": 3, "strategy_id": 2}


def limit_order(qty: int = 10, px: int = 10000) -> Order:
    spec = OrderSpec.limit(OrderSide.BUY, Quantity(qty, 0), Price(px, 2))
    fields = spec.initialized_fields(5, 3, 2, price_precision=2)
    return Order({**fields, "ts_init": 100}, ts_init=100)


def ev(**kw):
    return {**REF, "venue_order_id": 0, "reason_id": 0, "seq": 9, "ts_event": 200, **kw}


def fill(qty: int, px: int = 10000, seq: int = 10, **kw):
    return {
        **REF, "venue_order_id": 42, "trade_id": seq, "position_id": 1, "side": 1,
        "liquidity_side": 1, "price_precision": 2, "size_precision": 0, "account_id": 1,
        "last_qty": qty, "last_px": px, "commission": 3, "commission_currency": 4477781,
        "seq": seq, "ts_event": seq * 10, **kw,
    }


def accepted(order: Order) -> Order:
    order.apply(Kind.ORDER_SUBMITTED, ev(account_id=1))
    order.apply(Kind.ORDER_ACCEPTED, ev(venue_order_id=42))
    return order


def test_a_new_order_reads_back_the_initialized_fields():
    order = limit_order()
    assert order.client_order_id == 5 and order.instrument_id == 3 and order.strategy_id == 2
    assert order.side == OrderSide.BUY and order.order_type == OrderType.LIMIT
    assert order.quantity == Quantity(10, 0) and order.price == Price(10000, 2)
    assert order.trigger_price is None and order.time_in_force == TimeInForce.GTC
    assert order.status == OrderStatus.INITIALIZED and order.ts_init == 100
    assert not order.is_open and not order.is_closed and not order.is_inflight


def test_partial_then_full_fills_track_filled_leaves_and_average_price():
    order = accepted(limit_order())
    assert order.is_open and order.venue_order_id == 42
    order.apply(Kind.ORDER_FILLED, fill(4, 10000, seq=10))
    assert order.status == OrderStatus.PARTIALLY_FILLED
    assert order.filled_qty == Quantity(4, 0) and order.leaves_qty == Quantity(6, 0)
    order.apply(Kind.ORDER_FILLED, fill(6, 10100, seq=11))
    assert order.status == OrderStatus.FILLED and order.is_closed
    assert order.avg_px == pytest.approx((4 * 100.0 + 6 * 101.0) / 10)
    assert order.n_fills == 2 and order.last_trade_id == 11 and order.ts_last == 110
    assert order.commissions() == {4477781: 6}


def test_a_fill_beyond_the_quantity_raises_overfill_and_changes_nothing():
    order = accepted(limit_order())
    order.apply(Kind.ORDER_FILLED, fill(8))
    with pytest.raises(OverfillError, match="seq 11"):
        order.apply(Kind.ORDER_FILLED, fill(3, seq=11))
    assert order.filled_raw == 8 and order.status == OrderStatus.PARTIALLY_FILLED


def test_a_fill_on_a_filled_order_is_an_invalid_transition_naming_the_seq():
    order = accepted(limit_order(qty=2))
    order.apply(Kind.ORDER_FILLED, fill(2))
    with pytest.raises((InvalidTransition, OverfillError)):
        order.apply(Kind.ORDER_FILLED, fill(1, seq=12))


def test_an_illegal_event_raises_and_leaves_the_status():
    order = limit_order()
    with pytest.raises(InvalidTransition, match="ORDER_FILLED.*INITIALIZED.*seq 10") as err:
        order.apply(Kind.ORDER_FILLED, fill(1))
    assert err.value.client_order_id == 5
    assert order.status == OrderStatus.INITIALIZED and order.filled_raw == 0


def test_cancel_rejected_returns_to_the_status_before_the_pending_cancel():
    order = accepted(limit_order())
    order.apply(Kind.ORDER_FILLED, fill(3))
    order.apply(Kind.ORDER_PENDING_CANCEL, ev())
    assert order.is_inflight and order.is_open
    order.apply(Kind.ORDER_CANCEL_REJECTED, ev(reason_id=7))
    assert order.status == OrderStatus.PARTIALLY_FILLED and order.reason_id == 7


def test_an_update_changes_quantity_and_price_and_returns_from_pending_update():
    order = accepted(limit_order())
    order.apply(Kind.ORDER_PENDING_UPDATE, ev())
    order.apply(Kind.ORDER_PENDING_UPDATE, ev())
    order.apply(
        Kind.ORDER_UPDATED,
        ev(price_precision=2, size_precision=0, quantity=20, price=9900, trigger_price=NULL_I64),
    )
    assert order.status == OrderStatus.ACCEPTED
    assert order.quantity == Quantity(20, 0) and order.price == Price(9900, 2)


@pytest.mark.parametrize("quantity", [4, 5])
def test_an_update_to_the_filled_quantity_or_below_is_refused(quantity: int):
    order = accepted(limit_order())
    order.apply(Kind.ORDER_FILLED, fill(5))
    with pytest.raises(OverfillError, match=f"quantity raw {quantity} is not above filled_qty raw 5"):
        order.apply(
            Kind.ORDER_UPDATED,
            ev(price_precision=2, size_precision=0, quantity=quantity, price=9900,
               trigger_price=NULL_I64),
        )
    assert order.quantity_raw == 10
    assert order.status == OrderStatus.PARTIALLY_FILLED


def test_a_fill_after_cancel_is_applied():
    order = accepted(limit_order())
    order.apply(Kind.ORDER_CANCELED, ev())
    order.apply(Kind.ORDER_FILLED, fill(2))
    assert order.status == OrderStatus.PARTIALLY_FILLED and order.filled_raw == 2


def test_a_fill_at_another_precision_is_refused():
    order = accepted(limit_order())
    with pytest.raises(OrderFieldError, match="precisions"):
        order.apply(Kind.ORDER_FILLED, fill(1, size_precision=3))


def test_specs_refuse_what_their_order_type_forbids():
    q, p = Quantity(1, 0), Price(100, 2)
    with pytest.raises(OrderSpecError, match="price"):
        OrderSpec(OrderSide.BUY, OrderType.LIMIT, q)
    with pytest.raises(OrderSpecError, match="trigger_price"):
        OrderSpec(OrderSide.BUY, OrderType.STOP_MARKET, q)
    with pytest.raises(OrderSpecError, match="expire_time_ns"):
        OrderSpec.limit(OrderSide.BUY, q, p, time_in_force=TimeInForce.GTD)
    with pytest.raises(OrderSpecError, match="post_only"):
        OrderSpec.market(OrderSide.BUY, q, post_only=True)
    with pytest.raises(OrderSpecError, match="quantity"):
        OrderSpec.market(OrderSide.SELL, Quantity(0, 0))
    with pytest.raises(OrderSpecError, match="precision"):
        OrderSpec.limit(OrderSide.BUY, q, p).initialized_fields(1, 1, 1, price_precision=5)


def test_each_factory_builds_its_order_type_with_options():
    q, p = Quantity(1, 0), Price(100, 2)
    assert OrderSpec.stop_limit(OrderSide.SELL, q, p, p).order_type == OrderType.STOP_LIMIT
    assert OrderSpec.market_to_limit(OrderSide.SELL, q).order_type == OrderType.MARKET_TO_LIMIT
    spec = OrderSpec.limit(OrderSide.BUY, q, p, post_only=True, reduce_only=True,
                           time_in_force=TimeInForce.GTD, expire_time_ns=5)
    order = Order(spec.initialized_fields(1, 1, 1, price_precision=2))
    assert order.is_post_only and order.is_reduce_only and order.expire_time_ns == 5


def test_a_bracket_links_entry_take_profit_and_stop_loss():
    bracket = OrderList.bracket(
        OrderSide.BUY, Quantity(3, 0), entry_price=Price(10000, 2),
        take_profit=Price(10500, 2), stop_loss=Price(9500, 2),
    )
    entry, tp, sl = bracket.initialized_fields([11, 12, 13], 3, 2, order_list_id=99,
                                               price_precision=2)
    assert entry["contingency"] == ContingencyType.OTO and entry["parent_order_id"] == 0
    assert tp["contingency"] == sl["contingency"] == ContingencyType.OCO
    assert tp["linked_order_id"] == 13 and sl["linked_order_id"] == 12
    assert tp["parent_order_id"] == sl["parent_order_id"] == 11
    assert tp["side"] == sl["side"] == OrderSide.SELL and tp["options"] & 2
    assert {f["order_list_id"] for f in (entry, tp, sl)} == {99}
    assert sl["order_type"] == OrderType.STOP_MARKET and sl["trigger_price"] == 9500


def test_a_bracket_with_exits_on_the_wrong_side_is_refused():
    with pytest.raises(OrderSpecError, match="wrong sides"):
        OrderList.bracket(OrderSide.SELL, Quantity(1, 0), take_profit=Price(105, 0),
                          stop_loss=Price(95, 0))


def test_a_fill_on_the_wrong_side_is_refused():
    order = accepted(limit_order())
    with pytest.raises(OrderFieldError, match="side"):
        order.apply(Kind.ORDER_FILLED, fill(1, side=2))
    assert order.filled_raw == 0
