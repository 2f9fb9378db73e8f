"""Order.apply_record (the cache's path, fields read from the decoded tuple) folds exactly as
Order.apply over the same record's field dict, errors included."""

from __future__ import annotations

import copy

import pytest

from domain.codec import RAW_TUPLES
from domain.enums import OrderOption, OrderSide
from domain.kinds import Kind
from domain.order_fsm import InvalidTransition
from domain.orders import Order, OrderFieldError, OrderSpec, OverfillError
from domain.values import Price, Quantity


def rec(kind: Kind, **kw):
    tup = RAW_TUPLES[int(kind)]
    base = dict.fromkeys(tup._fields, 0)
    base.update(kind=int(kind), client_order_id=5, instrument_id=3, strategy_id=2, **kw)
    return tup(**base)


def new_order() -> Order:
    spec = OrderSpec.limit(OrderSide.BUY, Quantity(10, 0), Price(10000, 2))
    return Order({**spec.initialized_fields(5, 3, 2, price_precision=2), "ts_init": 1}, ts_init=1)


def fill(seq: int, qty: int, **kw):
    fields = dict(side=1, price_precision=2, size_precision=0, last_qty=qty, last_px=10001,
                  commission=3, commission_currency=4477781, trade_id=seq, venue_order_id=42,
                  position_id=7, account_id=1, seq=seq, ts_event=seq * 10)
    return rec(Kind.ORDER_FILLED, **{**fields, **kw})


LIFE = [
    rec(Kind.ORDER_SUBMITTED, account_id=1, seq=2, ts_event=20),
    rec(Kind.ORDER_ACCEPTED, venue_order_id=42, seq=3, ts_event=30),
    fill(4, 4),
    rec(Kind.ORDER_PENDING_UPDATE, seq=5, ts_event=50),
    rec(Kind.ORDER_UPDATED, quantity=12, price=10002, venue_order_id=42, seq=6, ts_event=60),
    fill(7, 8),
]


def state(order: Order) -> dict:
    return {k: v for k, v in vars(order).items()} if hasattr(order, "__dict__") else {
        k: getattr(order, k) for k in order.__slots__}


def test_a_whole_order_life_applied_from_records_equals_the_dict_path():
    by_dict, by_rec = new_order(), new_order()
    for r in LIFE:
        by_dict.apply(r.kind, r._asdict())
        by_rec.apply_record(r)
        assert state(by_rec) == state(by_dict)
    assert by_rec.is_closed and by_rec.filled_raw == 12 and by_rec.ts_last == 70
    assert by_rec.account_id == 1 and by_rec.position_id == 7 and by_rec.venue_order_id == 42


@pytest.mark.parametrize(("bad", "error"), [
    (fill(4, 11), OverfillError),
    (fill(4, 2, side=2), OrderFieldError),
    (fill(4, 2, size_precision=1), OrderFieldError),
    (rec(Kind.ORDER_SUBMITTED, account_id=1, seq=4), InvalidTransition),
])
def test_a_bad_record_raises_the_same_error_and_leaves_the_order_unchanged(bad, error):
    order = new_order()
    for r in LIFE[:2]:
        order.apply_record(r)
    before = copy.deepcopy(state(order))
    with pytest.raises(error) as by_rec:
        order.apply_record(bad)
    assert state(order) == before
    twin = new_order()
    for r in LIFE[:2]:
        twin.apply(r.kind, r._asdict())
    with pytest.raises(error) as by_dict:
        twin.apply(bad.kind, bad._asdict())
    assert str(by_rec.value) == str(by_dict.value)


def initialized(**kw):
    spec = OrderSpec.limit(OrderSide.BUY, Quantity(10, 0), Price(10000, 2))
    fields = {**spec.initialized_fields(5, 3, 2, price_precision=2), "ts_init": 1, "seq": 1}
    ids = ("kind", "client_order_id", "instrument_id", "strategy_id")
    return rec(Kind.ORDER_INITIALIZED, **{k: v for k, v in {**fields, **kw}.items()
                                          if k not in ids})


def test_an_order_built_from_the_record_equals_one_built_from_its_fields():
    r = initialized()
    assert state(Order.from_record(r)) == state(Order(r._asdict(), r.ts_init))


@pytest.mark.parametrize(("bad", "error"), [
    (dict(quantity=0), OrderFieldError),
    (dict(side=9), ValueError),
    (dict(time_in_force=99), ValueError),
])
def test_a_bad_initialized_record_raises_the_same_error_on_both_paths(bad, error):
    r = initialized(**bad)
    with pytest.raises(error) as by_rec:
        Order.from_record(r)
    with pytest.raises(error) as by_dict:
        Order(r._asdict(), r.ts_init)
    assert str(by_rec.value) == str(by_dict.value)


@pytest.mark.parametrize("kind", [Kind.ORDER_DENIED, Kind.ORDER_REJECTED, Kind.ORDER_CANCELED,
                                  Kind.ORDER_EXPIRED, Kind.ORDER_PENDING_CANCEL])
def test_every_simple_event_applied_from_its_record_equals_the_dict_path(kind):
    # Each kind's record carries a different subset of venue_order_id / reason_id / account_id.
    fields = {f: 40 + i for i, f in enumerate(("venue_order_id", "reason_id"))
              if f in RAW_TUPLES[int(kind)]._fields}
    r = rec(kind, seq=9, ts_event=90, **fields)
    by_dict, by_rec = new_order(), new_order()
    if kind != Kind.ORDER_DENIED:
        for life in LIFE[:2]:
            by_dict.apply(life.kind, life._asdict())
            by_rec.apply_record(life)
    by_dict.apply(r.kind, r._asdict())
    by_rec.apply_record(r)
    assert state(by_rec) == state(by_dict)
    assert by_rec.ts_last == 90


def test_enum_fields_are_members_and_a_refused_value_is_not_remembered():
    combined = int(OrderOption.POST_ONLY) | int(OrderOption.REDUCE_ONLY)
    for _ in range(2):  # the second build takes the remembered member set
        order = Order.from_record(initialized(options=combined))
        assert order.side is OrderSide.BUY and order.is_post_only and order.is_reduce_only
    for _ in range(2):  # refused every time, not only the first
        with pytest.raises(ValueError):
            Order.from_record(initialized(contingency=77))
