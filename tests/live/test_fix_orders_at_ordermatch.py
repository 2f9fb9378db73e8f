"""Orders through the journaled FIX adapter at QuickFIX ordermatch, against real liquidity."""

from __future__ import annotations

from adapters.fix.capabilities import VenueCapabilities
from adapters.fix.client import OrderRequest
from domain.codec import as_kind
from domain.enums import OrderSide, OrderType, TimeInForce
from domain.kinds import Kind
from domain.strings import StringTable
from tests.live.conftest import LiveRig, wait_until

SYMBOL = "MSFT.ORDERMATCH"


def buy(coid: int, qty: int, price: int | None, **kw) -> OrderRequest:
    return OrderRequest(coid, 7, SYMBOL, OrderSide.BUY, qty, price, **kw)


def reasons(rig, kind) -> list[str]:
    strings = StringTable()
    with_strings = rig.events(Kind.STRING)
    for i in range(len(with_strings)):
        strings.apply(with_strings[i : i + 1])
    return [strings.text(int(r["reason_id"])) for r in as_kind(rig.events(kind), kind)]


def test_a_limit_order_is_accepted_and_filled_by_resting_liquidity(rig, liquidity):
    liquidity.limit("MSFT", "SELL", 100, "101.50")
    client = rig.start()
    assert client.submit(buy(1, 100, 10150))
    wait_until(lambda: client.orders.orders[1].status == "FILLED")
    rig.stop()
    fills = as_kind(rig.events(Kind.ORDER_FILLED), Kind.ORDER_FILLED)
    assert [(int(f["last_qty"]), int(f["last_px"])) for f in fills] == [(100, 10150)]
    assert len(rig.events(Kind.ORDER_ACCEPTED)) == 1
    assert len(rig.events(Kind.ORDER_SUBMITTED)) == 1


def test_partial_fills_follow_the_liquidity_that_arrives(rig, liquidity):
    client = rig.start()
    client.submit(buy(1, 100, 10000))
    wait_until(lambda: client.orders.orders[1].status == "ACCEPTED")
    liquidity.limit("MSFT", "SELL", 30, "100.00")
    wait_until(lambda: client.orders.orders[1].status == "PARTIALLY_FILLED")
    liquidity.limit("MSFT", "SELL", 70, "99.00")
    wait_until(lambda: client.orders.orders[1].status == "FILLED")
    rig.stop()
    fills = as_kind(rig.events(Kind.ORDER_FILLED), Kind.ORDER_FILLED)
    assert [int(f["last_qty"]) for f in fills] == [30, 70]
    # ordermatch prices a match at the ask (its simple matcher), whichever order rested
    assert [int(f["last_px"]) for f in fills] == [10000, 9900]


def test_a_market_order_goes_out_as_a_marketable_limit_at_the_protection_price(rig, liquidity):
    liquidity.limit("MSFT", "SELL", 50, "101.00")
    client = rig.start()
    client.submit(buy(1, 50, None, order_type=OrderType.MARKET, reference_price=10100))
    wait_until(lambda: client.orders.orders[1].status == "FILLED")
    rig.stop()
    out = as_kind(rig.events(Kind.FIX_OUT), Kind.FIX_OUT)
    nos = [r for r in out if int(r["client_order_id"]) == 1]
    assert int(nos[0]["order_type"]) == OrderType.LIMIT
    assert int(nos[0]["price"]) == 10100 + 51  # 50 bps of 101.00, rounded up for a buy


def test_modify_is_emulated_as_cancel_then_a_new_version(rig, liquidity):
    client = rig.start()
    client.submit(buy(1, 100, 9900))
    wait_until(lambda: client.orders.orders[1].status == "ACCEPTED")
    liquidity.limit("MSFT", "SELL", 40, "99.00")
    wait_until(lambda: client.orders.orders[1].cum_qty == 40)
    client.modify(1, quantity=80, price=9950)
    wait_until(lambda: client.orders.orders[1].version == 1
               and client.orders.orders[1].status == "PARTIALLY_FILLED")
    liquidity.limit("MSFT", "SELL", 40, "99.50")
    wait_until(lambda: client.orders.orders[1].status == "FILLED")
    rig.stop()
    assert client.orders.orders[1].cum_qty == 80
    updated = as_kind(rig.events(Kind.ORDER_UPDATED), Kind.ORDER_UPDATED)
    assert [(int(u["quantity"]), int(u["price"])) for u in updated] == [(80, 9950)]
    assert len(rig.events(Kind.ORDER_CANCELED)) == 0  # the cancel half is not a cancel event


def test_cancel_of_a_resting_order_is_confirmed(rig):
    client = rig.start()
    client.submit(buy(1, 10, 5000))
    wait_until(lambda: client.orders.orders[1].status == "ACCEPTED")
    client.cancel(1)
    wait_until(lambda: client.orders.orders[1].status == "CANCELED")
    rig.stop()
    assert len(rig.events(Kind.ORDER_PENDING_CANCEL)) == 1
    assert len(rig.events(Kind.ORDER_CANCELED)) == 1


def rejection_reasons(venue, path, caps: VenueCapabilities, **order) -> list[str]:
    """Sends one order through a venue declared with ``caps``; returns ORDER_REJECTED reasons."""
    live = LiveRig(venue, path, caps)
    client = live.start()
    client.submit(buy(1, 10, 5000, **order))
    wait_until(lambda: client.orders.orders[1].status == "REJECTED")
    live.stop()
    return reasons(live, Kind.ORDER_REJECTED)


def test_an_order_the_venue_refuses_becomes_order_rejected_with_its_text(ordermatch, tmp_path):
    # a misdeclared venue: says IOC is supported, so the order really goes out
    caps = VenueCapabilities(time_in_force=frozenset({TimeInForce.DAY, TimeInForce.IOC}))
    assert rejection_reasons(ordermatch, tmp_path / "j", caps, time_in_force=TimeInForce.IOC) == [
        "Unsupported TIF, use Day"]


def test_a_session_level_reject_of_an_order_becomes_order_rejected(ordermatch, tmp_path):
    # a stop order without StopPx fails QuickFIX's message validation: a 35=3 Reject whose
    # RefSeqNum names the NewOrderSingle
    caps = VenueCapabilities(order_types=frozenset({OrderType.LIMIT, OrderType.STOP_MARKET}))
    assert rejection_reasons(ordermatch, tmp_path / "j", caps,
                             order_type=OrderType.STOP_MARKET) == [
        "Incorrect data format for value"]


def test_an_unsupported_time_in_force_is_denied_before_anything_is_sent(rig):
    client = rig.start()
    assert not client.submit(buy(1, 10, 5000, time_in_force=TimeInForce.GTC))
    rig.stop()
    assert reasons(rig, Kind.ORDER_DENIED) == [
        "venue supports time in force DAY only, got GTC"]
    out = as_kind(rig.events(Kind.FIX_OUT), Kind.FIX_OUT)
    assert all(int(r["client_order_id"]) == 0 for r in out)  # admin messages only
