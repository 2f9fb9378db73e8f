"""No orphaned child (issue 12): brackets, some with an emulated stop-loss, some with a resting
entry, driven through the whole kernel while the market moves and the strategy cancels or
modifies any leg, cancels all its orders (of one side or both), closes its position, or sends
a second cancel.

After every input the kernel has not faulted and no contingent order is orphaned:
- a parent closed without a fill has no open child;
- an OCO leg that is closed has a closed partner;
- a parent with a fill has no child still held unsent by the order manager: a venue child is
  out of INITIALIZED (or closed), an emulated child is armed and watched by the emulator;
- the emulator watches exactly the open, emulated, not yet released orders that are not waiting
  for their parent (no closed order, no unarmed child, none missing).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.enums import OrderSide, TriggerType
from domain.kinds import Kind
from domain.order_fsm import OrderStatus
from engines.emulator import OrderEmulator
from engines.risk_checks import RiskConfig
from engines.strategy import Strategy
from tests.unit.kernel_rig import SYMBOL, T0, build, feed, log, quotes

_SIDES = st.sampled_from((OrderSide.BUY, OrderSide.SELL))
_TICK = 10  # raw price units of one step (1 pip at precision 5)


def _text(raw: int) -> str:
    """A raw price at precision 5 as exact decimal text."""
    return f"{raw // 100_000}.{raw % 100_000:05d}"


class Trader(Strategy):
    """Runs the actions queued by the state machine on the next quote, in one callback."""

    def __init__(self) -> None:
        super().__init__("trader")
        self.queued: list[Any] = []
        self.brackets: list[tuple[int, int, int]] = []  # (entry, take-profit, stop-loss)

    def on_start(self) -> None:
        self.subscribe_quotes(SYMBOL)

    def on_quote(self, quote: Any) -> None:
        actions, self.queued = self.queued, []
        for action in actions:
            action(self, quote)


class NoOrphans(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.trader = Trader()
        self.kernel = build([self.trader], risk=RiskConfig(short_selling={SYMBOL}))
        self.emulator = next(c for c in self.kernel.components if isinstance(c, OrderEmulator))
        self.bid, self.n = 110_000, 0
        self._quote()

    def _quote(self) -> None:
        feed(self.kernel, quotes(self.kernel, np.array([self.bid], dtype=np.int64),
                                 t0=T0 + 1 + self.n * 1_000_000))
        self.n += 1
        assert self.kernel.faulted is None, self.kernel.faulted

    def _pick(self, index: int, leg: int) -> int | None:
        brackets = self.trader.brackets
        return brackets[-1 - index % len(brackets)][leg] if brackets else None

    @rule(side=_SIDES, lots=st.integers(1, 3), entry=st.sampled_from((None, 0, -3, -10)),
          tp=st.integers(2, 12), sl=st.integers(2, 12), emulated=st.booleans())
    def bracket(self, side: OrderSide, lots: int, entry: int | None, tp: int, sl: int,
                emulated: bool) -> None:
        sign = 1 if side == OrderSide.BUY else -1

        def act(s: Trader, quote: Any) -> None:
            ref = (quote.ask if side == OrderSide.BUY else quote.bid).raw

            def px(steps: int) -> str:
                return _text(ref + sign * steps * _TICK)

            order_list = s.order_factory.bracket(
                SYMBOL, side, 1000 * lots, take_profit=px(tp), stop_loss=px(-sl),
                entry_price=None if entry is None else px(entry),
                emulation_trigger=TriggerType.BID_ASK if emulated else None)
            s.brackets.append(order_list.client_order_ids)
            s.submit_order_list(order_list)

        self.trader.queued.append(act)
        self._quote()

    @rule(steps=st.integers(-8, 8))
    def move(self, steps: int) -> None:
        self.bid += steps * _TICK
        self._quote()

    @rule(index=st.integers(0, 5), leg=st.integers(0, 2), twice=st.booleans())
    def cancel(self, index: int, leg: int, twice: bool) -> None:
        coid = self._pick(index, leg)
        if coid is None:
            return

        def act(s: Trader, quote: Any) -> None:
            s.cancel_order(coid)
            if twice:
                s.cancel_order(coid)

        self.trader.queued.append(act)
        self._quote()

    @rule(index=st.integers(0, 5), leg=st.integers(1, 2), steps=st.integers(-6, 6))
    def modify(self, index: int, leg: int, steps: int) -> None:
        coid = self._pick(index, leg)
        if coid is None:
            return

        def act(s: Trader, quote: Any) -> None:
            order = s.cache.order(coid)
            raw = order.trigger_price_raw if leg == 2 else order.price_raw
            new = _text(raw + steps * _TICK)
            if leg == 2:
                s.modify_order(coid, trigger_price=new)
            else:
                s.modify_order(coid, price=new)

        self.trader.queued.append(act)
        self._quote()

    @rule(side=st.sampled_from((OrderSide.NO_SIDE, OrderSide.BUY, OrderSide.SELL)))
    def cancel_all(self, side: OrderSide) -> None:
        self.trader.queued.append(lambda s, quote: s.cancel_all_orders(SYMBOL, side))
        self._quote()

    @rule()
    def flatten(self) -> None:
        self.trader.queued.append(lambda s, quote: s.close_all_positions(SYMBOL))
        self._quote()

    # --- invariants ---------------------------------------------------------------------------
    @invariant()
    def no_orphaned_child(self) -> None:
        if not hasattr(self, "kernel"):
            return
        cache = self.kernel.cache
        for entry_id, tp_id, sl_id in self.trader.brackets:
            entry, tp, sl = (cache.order(c) for c in (entry_id, tp_id, sl_id))
            if entry.is_closed and entry.filled_raw == 0:
                assert tp.is_closed and sl.is_closed, (entry, tp, sl)
            if tp.is_closed or sl.is_closed:
                assert tp.is_closed and sl.is_closed, (tp, sl)
            if entry.filled_raw:
                for child in (tp, sl):
                    if child.is_closed or child.status != OrderStatus.INITIALIZED:
                        continue
                    assert child.emulation_trigger is not None and not child.released, child
                    assert child.client_order_id in self.emulator.held.get(
                        child.instrument_id, {}), child

    @invariant()
    def the_emulator_watches_exactly_the_armed_emulated_orders(self) -> None:
        if not hasattr(self, "kernel"):
            return
        cache = self.kernel.cache
        held = {c for coids in self.emulator.held.values() for c in coids}
        armed = {r.client_order_id for r in log(self.kernel) if r.kind == Kind.ORDER_ARMED}
        expected = set()
        for ids in self.trader.brackets:
            sl = cache.order(ids[2])
            if sl.emulation_trigger is not None and not sl.is_closed and not sl.released \
                    and sl.client_order_id in armed:
                expected.add(sl.client_order_id)
        assert held == expected


NoOrphans.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
TestNoOrphans = NoOrphans.TestCase
