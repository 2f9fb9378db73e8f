"""Contingent orders managed by the kernel's order manager (issue 12, item 1): OTO children held
until the parent fills and sized to its fills, OCO / OUO partners cancelled or resized; every
action's ``cause`` is the fill or cancel that triggered it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from domain.enums import ContingencyType, OrderSide
from domain.kinds import Kind
from domain.order_fsm import OrderStatus
from domain.order_specs import OrderList, OrderSpec
from engines.cache_trading import netting_position_id
from engines.exchange import ExchangeConfig
from engines.order_factory import NewOrderList
from engines.risk_checks import RiskConfig
from tests.unit.kernel_rig import SYMBOL, build, feed, log, quotes
from tests.unit.test_kernel_bad_commands import Scripted

BUY, SELL = OrderSide.BUY, OrderSide.SELL
#: Quotes fill up to their size (1 M in the rig), so large orders fill in parts.
_VISIBLE_SIZES = ExchangeConfig(venue="SIM", nominal_l1_sizes=False)


class Script(Scripted):
    """``Scripted`` (runs ``script[n](self)`` on the n-th quote) with order lists and helpers."""

    def __init__(self, script: dict[int, Callable[[Script], Any]]) -> None:
        super().__init__(script)
        self.lists: list[Any] = []

    def bracket(self, side: OrderSide, qty: int, tp: str, sl: str, entry: str | None = None):
        order_list = self.order_factory.bracket(SYMBOL, side, qty, take_profit=tp, stop_loss=sl,
                                                entry_price=entry)
        self.lists.append(order_list)
        self.submit_order_list(order_list)

    def market(self, side: OrderSide, qty: int) -> None:
        self.ids.append(self.submit_order(self.order_factory.market(SYMBOL, side, qty)))


def _run(script: dict[int, Callable[[Script], Any]], bids: list[int],
         exchange: ExchangeConfig | None = None) -> tuple[Any, Script]:
    s = Script(script)
    # a cash account that may go short: the tests open short positions from flat
    kernel = build([s], exchange=exchange, risk=RiskConfig(short_selling={SYMBOL}))
    feed(kernel, quotes(kernel, np.array(bids, dtype=np.int64)))
    assert kernel.faulted is None
    return kernel, s


def _by_seq(kernel: Any) -> dict[int, Any]:
    return {r.seq: r for r in log(kernel)}


def _events(kernel: Any, coid: int) -> list[str]:
    return [Kind(r.kind).name for r in log(kernel)
            if getattr(r, "client_order_id", None) == coid and r.kind >= 40]


def _position(kernel: Any, s: Script) -> int:
    pos = kernel.cache.position(netting_position_id(kernel.strings.id_of(SYMBOL), s.strategy_id))
    return pos.signed_raw if pos is not None else 0


def test_a_bracket_from_flat_opens_and_exactly_one_exit_fills_the_other_is_cancelled_by_it():
    # entry at the ask 1.10010; TP sells at 1.10100, SL at 1.09900 (bid); the bid then rises.
    kernel, s = _run({2: lambda s: s.bracket(BUY, 1000, tp="1.10100", sl="1.09900")},
                     [110_000] * 3 + [110_050, 110_100, 110_120, 110_000])
    entry, tp, sl = s.lists[0].client_order_ids
    cache = kernel.cache
    assert cache.order(entry).status == OrderStatus.FILLED
    assert cache.order(tp).status == OrderStatus.FILLED
    assert cache.order(sl).status == OrderStatus.CANCELED
    assert _position(kernel, s) == 0
    recs = _by_seq(kernel)
    # the exits were released by the entry's fill: their SUBMIT_ORDER's cause is that fill
    (entry_fill,) = [r for r in recs.values() if r.kind == Kind.ORDER_FILLED
                     and r.client_order_id == entry]
    releases = [r for r in recs.values() if r.kind == Kind.SUBMIT_ORDER
                and r.client_order_id in (tp, sl)]
    assert [r.cause for r in releases] == [entry_fill.seq, entry_fill.seq]
    # the stop-loss was cancelled by the take-profit's fill
    (cancel,) = [r for r in recs.values() if r.kind == Kind.CANCEL_ORDER]
    assert cancel.client_order_id == sl
    assert recs[cancel.cause].kind == Kind.ORDER_FILLED and recs[cancel.cause].client_order_id == tp
    assert not s.orders_open()


def test_the_exits_are_held_not_sent_until_a_resting_limit_entry_fills():
    kernel, s = _run({2: lambda s: s.bracket(BUY, 1000, tp="1.10100", sl="1.09800",
                                             entry="1.09950")},
                     [110_000] * 4 + [109_950, 109_940, 109_800, 109_700])
    entry, tp, sl = s.lists[0].client_order_ids
    before_fill = _events(kernel, tp)
    assert before_fill[:1] == ["ORDER_INITIALIZED"]
    assert kernel.cache.order(entry).status == OrderStatus.FILLED
    # entry filled at 1.09950 (ask crosses at bid 1.09940), then the bid fell through the stop
    assert kernel.cache.order(sl).status == OrderStatus.FILLED
    assert kernel.cache.order(tp).status == OrderStatus.CANCELED
    assert _position(kernel, s) == 0
    seqs = {Kind(r.kind).name: r.seq for r in log(kernel) if getattr(r, "client_order_id", 0) == tp}
    entry_fill = [r.seq for r in log(kernel) if r.kind == Kind.ORDER_FILLED
                  and r.client_order_id == entry][0]
    assert seqs["ORDER_SUBMITTED"] > entry_fill  # nothing reached the venue before the fill


def test_cancelling_a_resting_entry_cancels_its_held_exits_with_the_cancel_as_cause():
    kernel, s = _run({2: lambda s: s.bracket(BUY, 1000, tp="1.10100", sl="1.09800",
                                             entry="1.09500"),
                      4: lambda s: s.cancel_order(s.lists[0].client_order_ids[0])},
                     [110_000] * 6)
    entry, tp, sl = s.lists[0].client_order_ids
    recs = _by_seq(kernel)
    assert [kernel.cache.order(c).status for c in (entry, tp, sl)] == [OrderStatus.CANCELED] * 3
    for child in (tp, sl):
        (canceled,) = [r for r in recs.values() if r.kind == Kind.ORDER_CANCELED
                       and r.client_order_id == child]
        cause = recs[canceled.cause]
        assert cause.kind == Kind.ORDER_CANCELED and cause.client_order_id == entry
        assert "ORDER_SUBMITTED" not in _events(kernel, child)


def test_a_bracket_from_an_opposite_position_sizes_the_exits_to_the_position_it_produced():
    kernel, s = _run({2: lambda s: s.market(SELL, 1000),
                      3: lambda s: s.bracket(BUY, 3000, tp="1.10100", sl="1.09900")},
                     [110_000] * 4 + [109_890, 109_800])
    entry, tp, sl = s.lists[0].client_order_ids
    assert kernel.cache.order(entry).status == OrderStatus.FILLED
    # short 1000 + buy 3000 = long 2000: the reduce-only exits protect 2000
    assert kernel.cache.order(sl).quantity_raw == 2000
    assert kernel.cache.order(tp).quantity_raw == 2000
    assert kernel.cache.order(sl).status == OrderStatus.FILLED
    assert kernel.cache.order(tp).status == OrderStatus.CANCELED
    assert _position(kernel, s) == 0


def test_cancelling_a_held_exit_cancels_it_and_its_oco_partner_without_a_venue():
    kernel, s = _run({2: lambda s: s.bracket(BUY, 1000, tp="1.10100", sl="1.09800",
                                             entry="1.09500"),
                      4: lambda s: s.cancel_order(s.lists[0].client_order_ids[1])},
                     [110_000] * 6)
    entry, tp, sl = s.lists[0].client_order_ids
    assert kernel.cache.order(tp).status == OrderStatus.CANCELED
    assert kernel.cache.order(sl).status == OrderStatus.CANCELED
    assert kernel.cache.order(entry).status == OrderStatus.ACCEPTED
    assert "ORDER_SUBMITTED" not in _events(kernel, sl)


def test_partial_fills_of_the_entry_release_the_exits_for_the_filled_quantity_then_resize_them():
    # a resting BUY limit of 1.5 M against asks of 1 M per quote: it fills 1 M, then 0.5 M.
    kernel, s = _run({2: lambda s: s.bracket(BUY, 1_500_000, tp="1.10300", sl="1.09000",
                                             entry="1.10000")},
                     [110_000] * 3 + [109_990, 109_980, 109_980], _VISIBLE_SIZES)
    entry, tp, sl = s.lists[0].client_order_ids
    fills = [r for r in log(kernel) if r.kind == Kind.ORDER_FILLED and r.client_order_id == entry]
    assert [f.last_qty for f in fills] == [1_000_000, 500_000]
    recs = _by_seq(kernel)
    for child in (tp, sl):
        (update,) = [r for r in recs.values() if r.kind == Kind.ORDER_UPDATED
                     and r.client_order_id == child and r.cause == fills[0].seq]
        assert update.quantity == 1_000_000  # sized to the first fill, then released
        (modify,) = [r for r in recs.values() if r.kind == Kind.MODIFY_ORDER
                     and r.client_order_id == child]
        assert modify.cause == fills[1].seq and modify.quantity == 1_500_000
        assert kernel.cache.order(child).quantity_raw == 1_500_000
        assert kernel.cache.order(child).status == OrderStatus.ACCEPTED


def submit_pair(s: Script, specs: tuple[OrderSpec, OrderSpec]) -> None:
    """Submits two orders linked to each other (no parent) as one list."""
    f = s.order_factory
    f.list_counter += 1
    order_list = NewOrderList(f.strategy_index << 40 | f.list_counter, s.instrument_id(SYMBOL),
                              OrderList(specs, parents=(-1, -1), links=(1, 0)),
                              (f.next_id(), f.next_id()))
    s.lists.append(order_list)
    s.submit_order_list(order_list)


def _pair(contingency: ContingencyType, qty: int, legs: tuple[tuple[OrderSide, str], ...]):
    """A script step submitting two limit orders linked as ``contingency`` (no parent)."""
    def step(s: Script) -> None:
        inst = s.cache.instrument(s.instrument_id(SYMBOL))
        submit_pair(s, tuple(OrderSpec.limit(side, inst.make_qty(qty), inst.make_price(px),
                                             contingency=contingency) for side, px in legs))
    return step


def test_an_oco_pair_without_a_parent_cancels_the_other_leg_when_one_fills():
    oco = _pair(ContingencyType.OCO, 1000, ((SELL, "1.10100"), (BUY, "1.09800")))
    kernel, s = _run({2: oco}, [110_000] * 3 + [109_700, 109_700])
    sell, buy = s.lists[0].client_order_ids
    assert kernel.cache.order(buy).status == OrderStatus.FILLED
    assert kernel.cache.order(sell).status == OrderStatus.CANCELED


def test_an_ouo_leg_partially_filled_reduces_its_partner_to_the_same_leaves():
    ouo = _pair(ContingencyType.OUO, 1_500_000, ((BUY, "1.10000"), (SELL, "1.20000")))
    kernel, s = _run({2: ouo}, [110_000] * 3 + [109_990, 110_100, 110_100], _VISIBLE_SIZES)
    buy, sell = s.lists[0].client_order_ids
    assert kernel.cache.order(buy).filled_raw == 1_000_000
    assert kernel.cache.order(sell).quantity_raw == 500_000  # the buy's leaves


class Typed(Script):
    """Records the typed handlers called, and the generic ones after them."""

    def __init__(self, script: dict[int, Callable[[Script], Any]]) -> None:
        super().__init__(script)
        self.calls: list[str] = []

    def on_order_accepted(self, rec: Any) -> None:
        self.calls.append("accepted")

    def on_order_filled(self, rec: Any) -> None:
        self.calls.append("filled")

    def on_order_canceled(self, rec: Any) -> None:
        self.calls.append("canceled")

    def on_order_event(self, rec: Any) -> None:
        self.calls.append(f"event:{Kind(rec.kind).name}")

    def on_position_opened(self, rec: Any) -> None:
        self.calls.append("opened")

    def on_position_closed(self, rec: Any) -> None:
        self.calls.append("closed")


def test_typed_handlers_run_before_the_generic_order_handler_for_the_strategys_records():
    s = Typed({2: lambda s: s.bracket(BUY, 1000, tp="1.10100", sl="1.09900")})
    kernel = build([s])
    feed(kernel, quotes(kernel, np.array([110_000] * 3 + [110_100, 110_100], dtype=np.int64)))
    calls = s.calls
    first_fill = calls.index("filled")
    assert calls[first_fill + 1] == "event:ORDER_FILLED"
    assert calls.count("filled") == 2 and calls.count("canceled") == 1
    assert calls.count("accepted") == 3
    assert [c for c in calls if c in ("opened", "closed")] == ["opened", "closed"]


def test_a_held_exit_can_be_modified_before_the_entry_fills_and_is_released_as_modified():
    kernel, s = _run({2: lambda s: s.bracket(BUY, 1000, tp="1.10100", sl="1.09800",
                                             entry="1.09950"),
                      3: lambda s: s.modify_order(s.lists[0].client_order_ids[1],
                                                  price="1.10200")},
                     [110_000] * 4 + [109_950, 109_940])
    entry, tp, _ = s.lists[0].client_order_ids
    updated = [r for r in log(kernel) if r.kind == Kind.ORDER_UPDATED and r.client_order_id == tp]
    assert updated[0].price == 110_200 and updated[0].quantity == 1000
    assert kernel.cache.order(entry).status == OrderStatus.FILLED
    order = kernel.cache.order(tp)
    assert order.status == OrderStatus.ACCEPTED and order.price_raw == 110_200
