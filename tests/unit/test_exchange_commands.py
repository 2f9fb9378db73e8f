"""Modify, cancel, races with fills, latency scheduling, expiry, snapshots and determinism."""

from __future__ import annotations

import hashlib

from domain.enums import OrderSide, OrderType, TimeInForce
from domain.kinds import Kind
from engines.exchange import ConstantLatency
from engines.exchange.matching import DAY_NS
from tests.unit.exchange_harness import Venue

BUY, SELL = OrderSide.BUY, OrderSide.SELL


def resting_buy(v: Venue, qty: int = 2, price: int = 480000, **kw: object) -> int:
    v.quote(479975, 480050)
    return v.submit(BUY, OrderType.LIMIT, qty, price=price, **kw)


def test_modify_changes_price_and_quantity_with_order_updated() -> None:
    v = Venue()
    c = resting_buy(v)
    v.modify(c, qty=4, price=479950)
    ev = v.events(c)[-1]
    assert Kind(ev.kind) == Kind.ORDER_UPDATED and (ev.quantity, ev.price) == (4, 479950)
    assert (v.order(c).quantity_raw, v.order(c).price_raw) == (4, 479950)


def test_a_modify_that_makes_a_limit_marketable_fills_it_as_taker() -> None:
    v = Venue()
    c = resting_buy(v)
    v.modify(c, price=480100)
    assert v.kinds(c) == ["ACCEPTED", "UPDATED", "FILLED"] and v.fills(c) == [(480050, 2, 2)]


def test_a_modify_that_makes_a_post_only_order_marketable_is_rejected() -> None:
    v = Venue()
    c = resting_buy(v, post_only=True)
    v.modify(c, price=480050)
    ev = v.events(c)[-1]
    assert Kind(ev.kind) == Kind.ORDER_MODIFY_REJECTED and "post-only" in v.reason(ev)
    assert v.order(c).price_raw == 480000


def test_a_modify_below_the_filled_quantity_is_rejected() -> None:
    v = Venue(nominal_l1_sizes=False)
    v.quote(479975, 480000, ask_size=1)
    c = v.submit(BUY, OrderType.LIMIT, 3, price=480000)
    assert v.order(c).filled_raw == 1
    v.modify(c, qty=1)
    assert "is not above the filled quantity 1" in v.reason(v.events(c)[-1])


def test_cancel_emits_order_canceled_and_cancel_all_cancels_one_side() -> None:
    v = Venue()
    a = resting_buy(v)
    b = resting_buy(v, price=479950)
    s = v.submit(SELL, OrderType.LIMIT, 1, price=480100)
    v.cancel(a)
    assert v.kinds(a)[-1] == "CANCELED" and v.order(a).is_closed
    v.cancel_all(side=BUY)
    assert v.kinds(b)[-1] == "CANCELED" and v.kinds(s) == ["ACCEPTED"]


def test_cancel_and_modify_of_a_filled_order_are_refused_with_a_reason() -> None:
    v = Venue()
    v.quote(480000, 480025)
    c = v.submit(BUY, OrderType.MARKET, 1)
    v.cancel(c)
    v.modify(c, qty=3)
    cancel_rej, modify_rej = v.events(c)[-2:]
    assert Kind(cancel_rej.kind) == Kind.ORDER_CANCEL_REJECTED
    assert Kind(modify_rej.kind) == Kind.ORDER_MODIFY_REJECTED
    assert v.reason(cancel_rej).startswith(f"order {c} is not open at the venue")


def test_a_cancel_in_flight_loses_the_race_with_a_fill() -> None:
    v = Venue(latency=ConstantLatency(cancel_ns=5_000))
    c = resting_buy(v)
    v.cancel(c, ts=2_000_000_000)
    v.quote(479950, 479975, ts=2_000_001_000)  # fills the order before the cancel arrives
    v.quote(479950, 479975, ts=2_000_010_000)
    assert v.kinds(c) == ["ACCEPTED", "FILLED", "CANCEL_REJECTED"]


def test_a_submit_with_latency_is_dispatched_and_accepted_after_it() -> None:
    v = Venue(latency=ConstantLatency(submit_ns=7_000))
    v.quote(480000, 480025, ts=2_000_000_000)
    c = v.submit(BUY, OrderType.MARKET, 1, ts=2_000_000_000)
    assert v.events(c) == [] and v.kernel.scheduler.next_due_ns() == 2_000_007_000
    v.advance(2_000_007_000)
    dispatch = [r for r in v.records if r.kind == Kind.DISPATCH]
    assert len(dispatch) == 1 and dispatch[0].ts_init == 2_000_007_000
    acc, fill = v.events(c)
    submit_seq = next(r.seq for r in v.records if r.kind == Kind.SUBMIT_ORDER)
    assert dispatch[0].ref_seq == submit_seq and dispatch[0].target_id == v.exchange.source_id
    assert acc.ts_init == fill.ts_init == 2_000_007_000 and acc.cause == v.records[-3].seq


def test_events_come_back_after_the_response_latency() -> None:
    v = Venue(latency=ConstantLatency(event_ns=3_000))
    v.quote(480000, 480025, ts=2_000_000_000)
    c = v.submit(BUY, OrderType.MARKET, 1, ts=2_000_000_000)
    v.advance(2_000_003_000)
    assert [e.ts_init for e in v.events(c)] == [2_000_003_000, 2_000_003_000]
    assert [e.ts_event for e in v.events(c)] == [2_000_000_000, 2_000_000_000]


def test_gtd_orders_expire_at_exactly_their_expire_time() -> None:
    v = Venue()
    c = resting_buy(v, tif=TimeInForce.GTD, expire_ns=5_000_000_000)
    v.quote(479975, 480050, ts=4_999_999_999)
    assert v.kinds(c) == ["ACCEPTED"]
    v.quote(479975, 480050, ts=6_000_000_000)
    (exp,) = [e for e in v.events(c) if e.kind == Kind.ORDER_EXPIRED]
    assert exp.ts_init == 5_000_000_000 and v.order(c).is_closed


def test_day_orders_expire_at_the_end_of_the_utc_day_of_acceptance() -> None:
    v = Venue()
    c = resting_buy(v, tif=TimeInForce.DAY, ts=3 * DAY_NS + 123)
    v.advance(4 * DAY_NS)
    assert v.kinds(c) == ["ACCEPTED", "EXPIRED"] and v.events(c)[-1].ts_init == 4 * DAY_NS


def test_a_gtd_order_already_expired_on_arrival_is_rejected() -> None:
    v = Venue()
    v.quote(479975, 480050, ts=5_000_000_000)
    c = v.submit(BUY, OrderType.LIMIT, 1, price=480000, tif=TimeInForce.GTD, expire_ns=10)
    assert v.kinds(c) == ["REJECTED"] and "expire_time_ns 10" in v.reason(v.events(c)[0])


def test_expiry_of_an_order_canceled_before_is_a_no_op() -> None:
    v = Venue()
    c = resting_buy(v, tif=TimeInForce.GTD, expire_ns=5_000_000_000)
    v.cancel(c)
    v.advance(5_000_000_000)
    assert v.kinds(c) == ["ACCEPTED", "CANCELED"]


def _scenario(v: Venue) -> None:
    v.quote(479975, 480050)
    v.submit(BUY, OrderType.LIMIT, 2, price=480000)
    v.submit(SELL, OrderType.STOP_MARKET, 1, trigger=479900)
    v.submit(BUY, OrderType.MARKET, 1)


def test_the_same_inputs_give_byte_identical_logs_and_digests() -> None:
    a, b = Venue(), Venue()
    _scenario(a)
    _scenario(b)
    assert a.log_bytes() == b.log_bytes()
    ha, hb = hashlib.blake2b(), hashlib.blake2b()
    a.exchange.digest(ha)
    b.exchange.digest(hb)
    assert ha.digest() == hb.digest()


def test_restore_of_a_snapshot_gives_the_same_state_digest() -> None:
    a = Venue()
    _scenario(a)
    doc = a.exchange.snapshot()
    b = Venue()
    b.exchange.restore(doc)
    ha, hb = hashlib.blake2b(), hashlib.blake2b()
    a.exchange.digest(ha)
    b.exchange.digest(hb)
    assert ha.digest() == hb.digest() and list(b.exchange.orders) == list(a.exchange.orders)
    assert b.exchange.reacts_to(Kind.QUOTE, a.iid)


def test_a_market_order_filled_at_once_does_not_change_what_the_venue_reacts_to() -> None:
    v = Venue()
    v.quote(480000, 480025)
    before = v.kernel.ctx.reaction_version
    c = v.submit(BUY, OrderType.MARKET, 1)
    assert v.kinds(c) == ["ACCEPTED", "FILLED"] and not v.exchange.active
    assert v.kernel.ctx.reaction_version == before


def test_a_resting_limit_and_its_cancel_each_change_what_the_venue_reacts_to() -> None:
    v = Venue()
    before = v.kernel.ctx.reaction_version
    c = resting_buy(v)
    assert v.exchange.active and v.kernel.ctx.reaction_version > before
    opened = v.kernel.ctx.reaction_version
    v.cancel(c)
    assert not v.exchange.active and v.kernel.ctx.reaction_version > opened
    # each change names the venue's kinds and the venue itself (the consumer re-asks only it)
    changes = v.kernel.ctx.reaction_changes_since(before)
    assert changes and all(kinds == frozenset(map(int, v.exchange.handles)) and
                           source is v.exchange for kinds, source in changes)
