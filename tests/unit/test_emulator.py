"""The order emulator (engines/emulator.py) through the whole kernel: an emulated order is held
(never sent) until its trigger, then released once and submitted; cancel and modify of a held
order never reach the venue."""

from __future__ import annotations

import hashlib
import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.enums import OrderSide, TrailingOffsetType, TriggerType
from domain.kinds import Kind
from domain.order_fsm import OrderStatus
from engines.emulator import OrderEmulator
from tests.unit.kernel_rig import SYMBOL, log
from tests.unit.test_kernel_bad_commands import Scripted
from tests.unit.test_trailing_kernel import _run

BUY, SELL = OrderSide.BUY, OrderSide.SELL


def _of(kernel, coid: int) -> list:
    return [r for r in log(kernel) if getattr(r, "client_order_id", 0) == coid]


def _emulated_stop(trigger: str = "1.09950", side: OrderSide = SELL,
                   emulation: TriggerType = TriggerType.BID_ASK):
    def act(s: Scripted) -> None:
        s.buy(1000)
        s.ids.append(s.submit_order(s.order_factory.stop_market(
            SYMBOL, side, 1000, trigger, emulation_trigger=emulation)))
    return act


def test_an_emulated_stop_is_held_then_released_by_the_quote_that_reaches_it() -> None:
    kernel, s = _run({1: _emulated_stop()}, [110000, 109980, 109950, 109900])
    stop = s.ids[1]
    names = [Kind(r.kind).name for r in _of(kernel, stop)]
    assert names[:2] == ["ORDER_INITIALIZED", "ORDER_EMULATED"]
    assert names.count("SUBMIT_ORDER") == 1 and names.count("ORDER_RELEASED") == 1
    released = next(r for r in _of(kernel, stop) if r.kind == Kind.ORDER_RELEASED)
    by_seq = {r.seq: r for r in log(kernel)}
    cause = by_seq[released.cause]
    assert cause.kind == Kind.QUOTE and cause.bid == 109950 and released.released_price == 109950
    submit = next(r for r in _of(kernel, stop) if r.kind == Kind.SUBMIT_ORDER)
    assert submit.cause == released.cause  # the same quote caused the submit
    fill = next(r for r in _of(kernel, stop) if r.kind == Kind.ORDER_FILLED)
    assert fill.last_px == 109950 and kernel.cache.order(stop).status == OrderStatus.FILLED
    # nothing reached the venue before the release: no ORDER_SUBMITTED before it
    first_submitted = next(r.seq for r in _of(kernel, stop) if r.kind == Kind.ORDER_SUBMITTED)
    assert first_submitted > released.seq


def test_an_emulated_order_that_never_triggers_stays_held_and_unsent() -> None:
    kernel, s = _run({1: _emulated_stop()}, [110000, 109990, 110020])
    names = {Kind(r.kind).name for r in _of(kernel, s.ids[1])}
    assert names == {"ORDER_INITIALIZED", "ORDER_EMULATED"}
    assert kernel.cache.order(s.ids[1]).status == OrderStatus.INITIALIZED
    # holding it changed the emulator's answers for prices only, and it said so by name
    emulator = next(c for c in kernel.components if isinstance(c, OrderEmulator))
    assert (frozenset({int(Kind.QUOTE), int(Kind.TRADE)}), emulator) in \
        kernel.ctx._reaction_log


def test_a_held_order_is_canceled_in_the_kernel_and_never_released() -> None:
    def cancel(s: Scripted) -> None:
        s.cancel_order(s.ids[1])

    kernel, s = _run({1: _emulated_stop(), 2: cancel}, [110000, 110000, 109900, 109800])
    names = [Kind(r.kind).name for r in _of(kernel, s.ids[1])]
    assert names[-2:] == ["CANCEL_ORDER", "ORDER_CANCELED"] and "ORDER_RELEASED" not in names
    assert kernel.cache.order(s.ids[1]).status == OrderStatus.CANCELED


def test_a_held_orders_trigger_can_be_modified_before_it_is_released() -> None:
    def modify(s: Scripted) -> None:
        s.modify_order(s.ids[1], trigger_price="1.09800")

    kernel, s = _run({1: _emulated_stop(), 2: modify}, [110000, 110000, 109900, 109800])
    released = [r for r in _of(kernel, s.ids[1]) if r.kind == Kind.ORDER_RELEASED]
    assert [r.released_price for r in released] == [109800]


def test_an_emulated_trailing_stop_trails_in_the_kernel_then_releases() -> None:
    def act(s: Scripted) -> None:
        s.buy(1000)
        s.ids.append(s.submit_order(s.order_factory.trailing_stop_market(
            SYMBOL, SELL, 1000, 5, trailing_offset_type=TrailingOffsetType.TICKS,
            emulation_trigger=TriggerType.BID_ASK)))

    kernel, s = _run({1: act}, [110000, 110010, 110020, 110016, 110015, 110014])
    recs = _of(kernel, s.ids[1])
    assert [r.trigger_price for r in recs if r.kind == Kind.ORDER_UPDATED] == [110005, 110015]
    assert [r.released_price for r in recs if r.kind == Kind.ORDER_RELEASED] == [110015]


def test_an_emulated_buy_limit_if_touched_triggers_on_the_mid_and_rests_as_a_limit() -> None:
    def act(s: Scripted) -> None:
        s.ids.append(s.submit_order(s.order_factory.limit_if_touched(
            SYMBOL, BUY, 1000, "1.09940", "1.09960", emulation_trigger=TriggerType.MID_POINT)))

    # quotes are bid / bid + 10: mids 1.10005, 1.09965 (not yet), 1.09955 (touched); the limit
    # rests until the ask reaches 1.09940
    kernel, s = _run({1: act}, [110000, 109960, 109950, 109935, 109925])
    recs = _of(kernel, s.ids[0])
    assert [r.released_price for r in recs if r.kind == Kind.ORDER_RELEASED] == [109955]
    assert [r.last_px for r in recs if r.kind == Kind.ORDER_FILLED] == [109940]


@settings(max_examples=15, deadline=None)
@given(steps=st.lists(st.integers(-30, 30), min_size=1, max_size=25))
def test_an_emulated_order_is_released_exactly_once_when_and_only_when_reached(
        steps: list[int]) -> None:
    bids = list(110000 + np.cumsum([0, *steps]))
    kernel, s = _run({1: _emulated_stop("1.09980")}, bids)
    recs = _of(kernel, s.ids[1])
    n_released = sum(r.kind == Kind.ORDER_RELEASED for r in recs)
    n_submits = sum(r.kind == Kind.SUBMIT_ORDER for r in recs)
    reached = any(b <= 109980 for b in bids[1:])
    assert n_released == n_submits == (1 if reached else 0)


def test_the_emulators_state_round_trips_through_plain_data_in_emulation_order() -> None:
    e = OrderEmulator()
    e.held = {3: {7: None, 5: None}, 1: {9: None}}
    f = OrderEmulator()
    f.restore(json.loads(json.dumps(e.snapshot())))
    h1, h2 = hashlib.sha256(), hashlib.sha256()
    e.digest(h1)
    f.digest(h2)
    assert list(f.held[3]) == [7, 5] and h1.digest() == h2.digest()
