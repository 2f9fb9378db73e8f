"""Emulated orders inside order lists (issue 12): a bracket whose stop-loss carries an
``emulation_trigger`` lives entirely in the kernel until its exit triggers. The order manager
holds the stop-loss until the entry fills and then arms it (ORDER_ARMED, caused by that fill);
the emulator releases it on its trigger (ORDER_RELEASED + SUBMIT_ORDER, caused by the quote);
OCO and OUO work across the emulated and the venue-resident leg. Through the whole kernel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from domain.enums import ContingencyType, OrderSide, TriggerType
from domain.kinds import Kind
from domain.order_fsm import OrderStatus
from domain.order_specs import OrderSpec
from engines.emulator import OrderEmulator
from engines.risk_checks import RiskConfig
from tests.unit.kernel_rig import SYMBOL, build, feed, log, quotes
from tests.unit.test_order_manager import (
    _VISIBLE_SIZES,
    Script,
    _by_seq,
    _events,
    _position,
    _run,
    submit_pair,
)

BUY, SELL = OrderSide.BUY, OrderSide.SELL


def _bracket(side: OrderSide, qty: int, tp: str, sl: str, entry: str | None = None,
             emulation: TriggerType = TriggerType.BID_ASK) -> Callable[[Script], None]:
    def step(s: Script) -> None:
        order_list = s.order_factory.bracket(SYMBOL, side, qty, take_profit=tp, stop_loss=sl,
                                             entry_price=entry, emulation_trigger=emulation)
        s.lists.append(order_list)
        s.submit_order_list(order_list)
    return step


def _emulator(kernel: Any) -> OrderEmulator:
    return next(c for c in kernel.components if isinstance(c, OrderEmulator))


def _one(kernel: Any, kind: Kind, coid: int) -> Any:
    (rec,) = [r for r in log(kernel) if r.kind == kind and r.client_order_id == coid]
    return rec


def test_an_emulated_stop_loss_is_armed_by_the_entry_fill_and_released_by_the_quote() -> None:
    # entry at the ask 1.10010; the bid falls through the emulated stop-loss at 1.09900
    kernel, s = _run({2: _bracket(BUY, 1000, tp="1.10100", sl="1.09900")},
                     [110_000] * 3 + [109_950, 109_900, 109_850])
    entry, tp, sl = s.lists[0].client_order_ids
    cache, recs = kernel.cache, _by_seq(kernel)
    assert [cache.order(c).status for c in (entry, tp, sl)] == [
        OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.FILLED]
    assert _events(kernel, sl)[:3] == ["ORDER_INITIALIZED", "ORDER_EMULATED", "ORDER_ARMED"]
    entry_fill = _one(kernel, Kind.ORDER_FILLED, entry)
    assert _one(kernel, Kind.ORDER_ARMED, sl).cause == entry_fill.seq
    released = _one(kernel, Kind.ORDER_RELEASED, sl)
    quote = recs[released.cause]
    assert quote.kind == Kind.QUOTE and quote.bid == 109_900 and released.released_price == 109_900
    submit = _one(kernel, Kind.SUBMIT_ORDER, sl)
    assert submit.cause == released.cause and submit.position_id == entry_fill.position_id
    assert _one(kernel, Kind.ORDER_SUBMITTED, sl).seq > released.seq  # never sent before
    # the stop-loss's fill cancels the take-profit at the venue
    cancel = _one(kernel, Kind.CANCEL_ORDER, tp)
    assert recs[cancel.cause].kind == Kind.ORDER_FILLED and recs[cancel.cause].client_order_id == sl
    assert _position(kernel, s) == 0 and not _emulator(kernel).held


def test_a_take_profit_fill_cancels_the_emulated_stop_loss_in_the_kernel() -> None:
    kernel, s = _run({2: _bracket(BUY, 1000, tp="1.10100", sl="1.09900")},
                     [110_000] * 3 + [110_050, 110_100, 109_800])
    entry, tp, sl = s.lists[0].client_order_ids
    assert kernel.cache.order(tp).status == OrderStatus.FILLED
    assert kernel.cache.order(sl).status == OrderStatus.CANCELED
    canceled = _one(kernel, Kind.ORDER_CANCELED, sl)
    cause = _by_seq(kernel)[canceled.cause]
    assert cause.kind == Kind.ORDER_FILLED and cause.client_order_id == tp
    # never released, never sent, not held any more; the later fall does not trigger it
    assert not {"ORDER_RELEASED", "SUBMIT_ORDER", "ORDER_SUBMITTED"} & set(_events(kernel, sl))
    assert _position(kernel, s) == 0 and not _emulator(kernel).held


def test_an_emulated_stop_loss_is_not_watched_before_its_resting_entry_fills() -> None:
    # the resting entry (BUY limit 1.09500) never fills while the bid falls below the stop
    kernel, s = _run({2: _bracket(BUY, 1000, tp="1.10100", sl="1.09900", entry="1.09500")},
                     [110_000] * 3 + [109_850, 109_700, 109_600])
    entry, tp, sl = s.lists[0].client_order_ids
    assert kernel.cache.order(entry).status == OrderStatus.ACCEPTED
    assert _events(kernel, sl) == ["ORDER_INITIALIZED", "ORDER_EMULATED"]
    assert kernel.cache.order(sl).is_held_in_kernel and not _emulator(kernel).held


def test_a_resting_entry_arms_the_stop_loss_when_it_fills_then_the_stop_closes() -> None:
    kernel, s = _run({2: _bracket(BUY, 1000, tp="1.10100", sl="1.09800", entry="1.09950")},
                     [110_000] * 4 + [109_940, 109_900, 109_800, 109_700])
    entry, tp, sl = s.lists[0].client_order_ids
    assert [kernel.cache.order(c).status for c in (entry, tp, sl)] == [
        OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.FILLED]
    entry_fill = _one(kernel, Kind.ORDER_FILLED, entry)
    assert _one(kernel, Kind.ORDER_ARMED, sl).cause == entry_fill.seq
    assert _one(kernel, Kind.ORDER_RELEASED, sl).released_price == 109_800
    assert _position(kernel, s) == 0


def test_cancelling_the_resting_entry_cancels_the_held_emulated_child_with_it() -> None:
    kernel, s = _run({2: _bracket(BUY, 1000, tp="1.10100", sl="1.09800", entry="1.09500"),
                      4: lambda s: s.cancel_order(s.lists[0].client_order_ids[0])},
                     [110_000] * 6)
    entry, tp, sl = s.lists[0].client_order_ids
    assert [kernel.cache.order(c).status for c in (entry, tp, sl)] == [OrderStatus.CANCELED] * 3
    cause = _by_seq(kernel)[_one(kernel, Kind.ORDER_CANCELED, sl).cause]
    assert cause.kind == Kind.ORDER_CANCELED and cause.client_order_id == entry


def test_a_strategy_cancel_of_the_armed_stop_loss_cancels_it_and_its_venue_partner() -> None:
    kernel, s = _run({2: _bracket(BUY, 1000, tp="1.10100", sl="1.09900"),
                      4: lambda s: s.cancel_order(s.lists[0].client_order_ids[2])},
                     [110_000] * 4 + [109_800, 109_700])
    entry, tp, sl = s.lists[0].client_order_ids
    assert kernel.cache.order(sl).status == OrderStatus.CANCELED
    assert kernel.cache.order(tp).status == OrderStatus.CANCELED
    assert "ORDER_RELEASED" not in _events(kernel, sl)
    cause = _by_seq(kernel)[_one(kernel, Kind.CANCEL_ORDER, tp).cause]
    assert cause.kind == Kind.ORDER_CANCELED and cause.client_order_id == sl
    assert _position(kernel, s) == 1000 and not _emulator(kernel).held


def test_the_armed_stop_losss_trigger_can_be_modified_in_the_kernel() -> None:
    kernel, s = _run({2: _bracket(BUY, 1000, tp="1.10100", sl="1.09900"),
                      4: lambda s: s.modify_order(s.lists[0].client_order_ids[2],
                                                  trigger_price="1.09700")},
                     [110_000] * 4 + [109_800, 109_700])
    _, tp, sl = s.lists[0].client_order_ids
    updated = _one(kernel, Kind.ORDER_UPDATED, sl)
    assert updated.trigger_price == 109_700
    assert "ORDER_PENDING_UPDATE" not in _events(kernel, sl)  # nothing went to a venue
    assert _one(kernel, Kind.ORDER_RELEASED, sl).released_price == 109_700
    assert kernel.cache.order(tp).status == OrderStatus.CANCELED


def test_partial_entry_fills_arm_the_stop_loss_for_the_filled_quantity_then_resize_it() -> None:
    # a resting BUY limit of 1.5 M against asks of 1 M per quote: it fills 1 M, then 0.5 M
    kernel, s = _run({2: _bracket(BUY, 1_500_000, tp="1.10300", sl="1.09000",
                                  entry="1.10000")},
                     [110_000] * 3 + [109_990, 109_980, 109_980], _VISIBLE_SIZES)
    entry, tp, sl = s.lists[0].client_order_ids
    fills = [r for r in log(kernel) if r.kind == Kind.ORDER_FILLED and r.client_order_id == entry]
    assert [f.last_qty for f in fills] == [1_000_000, 500_000]
    updates = [r for r in log(kernel) if r.kind == Kind.ORDER_UPDATED and r.client_order_id == sl]
    assert [u.quantity for u in updates] == [1_000_000, 1_500_000]
    assert updates[0].cause == fills[0].seq  # sized then armed by the first fill
    assert _one(kernel, Kind.ORDER_ARMED, sl).cause == fills[0].seq
    order = kernel.cache.order(sl)
    assert order.status == OrderStatus.INITIALIZED and order.quantity_raw == 1_500_000
    assert kernel.cache.order(tp).quantity_raw == 1_500_000


def _emulated_oco(s: Script) -> None:
    """A breakout straddle: BUY stop 1.10100 OCO SELL stop 1.09900, both emulated, no parent."""
    inst = s.cache.instrument(s.instrument_id(SYMBOL))
    submit_pair(s, tuple(OrderSpec.stop_market(side, inst.make_qty(1000), inst.make_price(px),
                                               contingency=ContingencyType.OCO,
                                               emulation_trigger=TriggerType.BID_ASK)
                         for side, px in ((BUY, "1.10100"), (SELL, "1.09900"))))


def test_an_oco_pair_of_emulated_stops_releases_one_and_cancels_the_other_in_the_kernel() -> None:
    kernel, s = _run({2: _emulated_oco}, [110_000] * 3 + [110_050, 110_090, 109_800])
    buy, sell = s.lists[0].client_order_ids
    assert _events(kernel, buy)[:2] == ["ORDER_INITIALIZED", "ORDER_EMULATED"]
    assert kernel.cache.order(buy).status == OrderStatus.FILLED  # the ask reached 1.10100
    assert kernel.cache.order(sell).status == OrderStatus.CANCELED
    assert not {"ORDER_SUBMITTED", "ORDER_RELEASED"} & set(_events(kernel, sell))
    cause = _by_seq(kernel)[_one(kernel, Kind.ORDER_CANCELED, sell).cause]
    assert cause.kind == Kind.ORDER_FILLED and cause.client_order_id == buy
    assert _position(kernel, s) == 1000 and not _emulator(kernel).held


def test_an_emulated_order_list_that_fails_risk_is_denied_whole_and_never_held() -> None:
    s = Script({2: _bracket(BUY, 2000, tp="1.10100", sl="1.09900")})
    kernel = build([s], risk=RiskConfig(short_selling={SYMBOL}, max_order_qty={SYMBOL: 1000}))
    feed(kernel, quotes(kernel, np.array([110_000] * 3 + [109_800], dtype=np.int64)))
    ids = s.lists[0].client_order_ids
    assert [kernel.cache.order(c).status for c in ids] == [OrderStatus.DENIED] * 3
    assert not _emulator(kernel).held and kernel.faulted is None


def test_an_emulated_bracket_journals_and_replays_to_the_same_state() -> None:
    """The same inputs give the same records and state hash (the emulated legs included)."""
    script = {2: _bracket(BUY, 1000, tp="1.10100", sl="1.09900")}
    bids = [110_000] * 3 + [109_950, 109_900, 109_850]
    a, _ = _run(script, bids)
    b, _ = _run({2: _bracket(BUY, 1000, tp="1.10100", sl="1.09900")}, bids)
    assert a.state_hash() == b.state_hash()
    assert np.array_equal(np.asarray([r.kind for r in log(a)]),
                          np.asarray([r.kind for r in log(b)]))


def test_under_hedging_the_released_stop_loss_closes_the_position_its_entry_opened() -> None:
    """Two brackets, each its own position (hedging): the emulated stop-loss goes to its
    entry's position, not to a new one."""
    s = Script({2: _bracket(BUY, 1000, tp="1.10200", sl="1.09900"),
                3: _bracket(BUY, 1000, tp="1.10300", sl="1.09700")})
    s.oms = "hedging"
    kernel = build([s], risk=RiskConfig(short_selling={SYMBOL}))
    feed(kernel, quotes(kernel, np.array([110_000] * 4 + [109_950, 109_880, 109_870],
                                         dtype=np.int64)))
    assert kernel.faulted is None
    (first_entry, _, sl), (second_entry, _, sl2) = (x.client_order_ids for x in s.lists)
    fills = {c: _one(kernel, Kind.ORDER_FILLED, c) for c in (first_entry, second_entry, sl)}
    assert fills[first_entry].position_id != fills[second_entry].position_id
    assert _one(kernel, Kind.SUBMIT_ORDER, sl).position_id == fills[first_entry].position_id
    assert fills[sl].position_id == fills[first_entry].position_id
    first, second = (kernel.cache.position(fills[c].position_id)
                     for c in (first_entry, second_entry))
    assert first.signed_raw == 0 and second.signed_raw == 1000  # the second still protected
    assert kernel.cache.order(sl2).is_held_in_kernel


def test_an_ouo_venue_legs_partial_fill_resizes_its_emulated_partner_in_the_kernel() -> None:
    def ouo(s: Script) -> None:
        inst = s.cache.instrument(s.instrument_id(SYMBOL))
        qty = inst.make_qty(1_500_000)
        submit_pair(s, (
            OrderSpec.limit(SELL, qty, inst.make_price("1.10000"),
                            contingency=ContingencyType.OUO),
            OrderSpec.stop_market(SELL, qty, inst.make_price("1.09000"),
                                  contingency=ContingencyType.OUO,
                                  emulation_trigger=TriggerType.BID_ASK)))

    # the bid reaches the limit with 1 M visible: it fills 1 M of 1.5 M
    kernel, s = _run({2: ouo}, [109_990] * 3 + [110_000, 109_990], _VISIBLE_SIZES)
    limit, stop = s.lists[0].client_order_ids
    assert kernel.cache.order(limit).filled_raw == 1_000_000
    order = kernel.cache.order(stop)
    assert order.quantity_raw == 500_000 and order.is_held_in_kernel  # the limit's leaves
    recs = _by_seq(kernel)
    modify = _one(kernel, Kind.MODIFY_ORDER, stop)
    assert recs[modify.cause].kind == Kind.ORDER_FILLED and recs[modify.cause].client_order_id \
        == limit
    assert _one(kernel, Kind.ORDER_UPDATED, stop).cause == modify.seq
    assert "ORDER_PENDING_UPDATE" not in _events(kernel, stop)


def test_cancel_all_orders_cancels_what_the_kernel_holds_as_well_as_what_the_venue_has() -> None:
    """An armed emulated stop-loss (its take-profit at the venue), a single emulated stop and a
    resting entry with its held exits: one cancel_all_orders closes every one of them."""
    def single(s: Script) -> None:
        s.ids.append(s.submit_order(s.order_factory.stop_market(
            SYMBOL, BUY, 1000, "1.10500", emulation_trigger=TriggerType.BID_ASK)))

    kernel, s = _run({2: _bracket(BUY, 1000, tp="1.10100", sl="1.09900"),
                      3: _bracket(SELL, 1000, tp="1.09000", sl="1.11000", entry="1.10500"),
                      4: single,
                      5: lambda s: s.cancel_all_orders(SYMBOL)},
                     [110_000] * 5 + [109_800, 110_600])
    ids = [*s.lists[0].client_order_ids[1:], *s.lists[1].client_order_ids, s.ids[0]]
    assert [kernel.cache.order(c).status for c in ids] == [OrderStatus.CANCELED] * 6
    recs = _by_seq(kernel)
    for coid in (s.lists[0].client_order_ids[2], s.ids[0]):  # held in the kernel: never sent
        canceled = _one(kernel, Kind.ORDER_CANCELED, coid)
        assert recs[canceled.cause].kind == Kind.CANCEL_ALL_ORDERS
        assert "ORDER_SUBMITTED" not in _events(kernel, coid)
        assert "ORDER_PENDING_CANCEL" not in _events(kernel, coid)
    # at the venue (the take-profit, the resting entry): PENDING_CANCEL, then the venue's cancel,
    # both caused by the one command (as NautilusTrader's cancel_all_orders)
    for coid in (s.lists[0].client_order_ids[1], s.lists[1].client_order_ids[0]):
        pending = _one(kernel, Kind.ORDER_PENDING_CANCEL, coid)
        canceled = _one(kernel, Kind.ORDER_CANCELED, coid)
        assert recs[pending.cause].kind == Kind.CANCEL_ALL_ORDERS
        assert pending.cause == canceled.cause and pending.seq < canceled.seq
    assert not _emulator(kernel).held and _position(kernel, s) == 1000  # still long, unprotected


def test_cancel_all_orders_of_one_side_leaves_the_other_sides_held_orders() -> None:
    def stops(s: Script) -> None:
        for side, px in ((BUY, "1.10500"), (SELL, "1.09500")):
            s.ids.append(s.submit_order(s.order_factory.stop_market(
                SYMBOL, side, 1000, px, emulation_trigger=TriggerType.BID_ASK)))

    kernel, s = _run({2: stops, 3: lambda s: s.cancel_all_orders(SYMBOL, SELL)},
                     [110_000] * 4 + [109_400])
    buy, sell = s.ids
    assert kernel.cache.order(sell).status == OrderStatus.CANCELED
    assert kernel.cache.order(buy).is_held_in_kernel
    assert set(_emulator(kernel).held[kernel.cache.order(buy).instrument_id]) == {buy}
