"""A hypothesis state machine over a whole kernel: random quotes and random strategy commands
(market / limit orders, modifies, cancels, bad commands) through risk, execution and the
simulated exchange. An auditor, registered last, checks the invariants of domain/invariants.py
(and the kernel's own) after every record."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from domain import invariants as inv
from domain.currencies import Currency
from domain.enums import OrderSide
from domain.kinds import KIND_DTYPES, Kind
from domain.positions import Fill
from domain.values import Money
from engines.cache_locks import order_lock
from engines.component import Reactor
from engines.strategy import Strategy
from tests.unit.kernel_rig import SYMBOL, build, feed, quotes

USD = Currency.from_code("USD")
START_USD = 10_000_000


class Auditor(Reactor):
    """Checks every invariant after each record (it runs after every other component)."""

    handles = tuple(sorted(KIND_DTYPES))

    def __init__(self) -> None:
        super().__init__("auditor")
        self.fills: list[Fill] = []
        self.last_seq = 0
        self.last_ts = -(2**63)
        self.checked = 0

    def reacts_to(self, kind: int, instrument_id: int) -> bool:
        return True

    def react(self, rec: Any, ctx: Any) -> None:
        assert rec.seq == self.last_seq + 1, f"seq gap before {rec.seq}"
        assert rec.ts_init >= self.last_ts, f"seq {rec.seq}: ts_init went backwards"
        self.last_seq, self.last_ts = rec.seq, rec.ts_init
        cache = ctx.cache
        if rec.kind == Kind.ORDER_FILLED:
            order = cache.order(rec.client_order_id)
            self.fills.append(Fill(cache.instrument(rec.instrument_id), rec.strategy_id,
                                   order.position_id, OrderSide(rec.side), rec.last_qty,
                                   rec.last_px, rec.commission, rec.commission_currency,
                                   rec.ts_event))
        problems = []
        for order in cache.orders():
            problems.append(inv.order_fill_within_quantity(order))
            problems.append(inv.order_status_reachable(order))
        for pos in cache.positions():
            mine = [f for f in self.fills if f.position_id == pos.position_id]
            problems.append(inv.position_matches_fills(pos, mine))
            problems.append(inv.position_cash_conserved(pos, mine))
        for account in cache.trading.accounts.values():
            problems.append(inv.balance_reconciles(
                account, [Money(START_USD * 100, USD)], self.fills))
            locks = sum(order_lock(o, cache.instrument(o.instrument_id), account)[1]
                        for o in cache.orders(open_only=True) if o.account_id == account.account_id)
            if account.locked_raw(USD) != locks:
                problems.append(f"locked raw {account.locked_raw(USD)} != open orders' {locks}")
        problems = [p for p in problems if p is not None]
        assert not problems, f"seq {rec.seq}: {problems}"
        self.checked += 1


class Commander(Strategy):
    """A strategy driven from outside: the state machine calls its command methods."""

    def __init__(self) -> None:
        super().__init__("commander")


class KernelMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.strategy = Commander()
        self.auditor = Auditor()
        self.kernel = build([self.strategy, self.auditor], usd=START_USD)
        self.auditor.last_seq = self.kernel.last_seq  # it audits from its start on
        self.bid = 110_000
        self.ts = self.kernel.ctx.now_ns + 1
        self.ids: list[int] = []

    def _commands_done(self) -> None:
        self.kernel.publish_setup()

    @rule(move=st.integers(-20, 20), spread=st.integers(1, 20))
    def quote(self, move: int, spread: int) -> None:
        self.bid += move
        self.ts += 1_000_000
        feed(self.kernel, quotes(self.kernel, np.array([self.bid]), spread=spread, t0=self.ts))

    @rule(buy=st.booleans(), qty=st.sampled_from([1000, 2000, 5000]))
    def market(self, buy: bool, qty: int) -> None:
        side = OrderSide.BUY if buy else OrderSide.SELL
        self.ids.append(self.strategy.submit_order(
            self.strategy.order_factory.market(SYMBOL, side, qty)))
        self._commands_done()

    @rule(buy=st.booleans(), qty=st.sampled_from([1000, 3000]), offset=st.integers(-40, 40))
    def limit(self, buy: bool, qty: int, offset: int) -> None:
        side = OrderSide.BUY if buy else OrderSide.SELL
        price = f"{(self.bid + offset) / 1e5:.5f}"
        self.ids.append(self.strategy.submit_order(
            self.strategy.order_factory.limit(SYMBOL, side, qty, price)))
        self._commands_done()

    @precondition(lambda self: self.ids)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        self.strategy.cancel_order(data.draw(st.sampled_from(self.ids)))
        self._commands_done()

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), qty=st.sampled_from([None, 1000, 4000]), offset=st.integers(-40, 40))
    def modify(self, data: st.DataObject, qty: int | None, offset: int) -> None:
        coid = data.draw(st.sampled_from(self.ids))
        order = self.kernel.cache.order(coid)
        price = None if order.price_raw is None else f"{(self.bid + offset) / 1e5:.5f}"
        self.strategy.modify_order(coid, quantity=qty, price=price)
        self._commands_done()

    @rule()
    def bad_commands(self) -> None:
        self.strategy.cancel_order(987_654)
        self.strategy.modify_order(987_654, quantity=10)
        self.strategy.submit_order(self.strategy.order_factory.market("GBP/USD.SIM",
                                                                      OrderSide.BUY, 1000))
        self._commands_done()

    @invariant()
    def the_kernel_never_faults_and_the_auditor_saw_every_record(self) -> None:
        assert self.kernel.faulted is None
        assert self.auditor.last_seq == self.kernel.last_seq


TestKernelMachine = KernelMachine.TestCase
