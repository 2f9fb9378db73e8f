"""Stateful hypothesis tests: orders, positions and accounts under random event streams.

Every named invariant of :mod:`domain.invariants` is checked after every step.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.accounts import CashAccount, MarginAccount
from domain.currencies import EUR, USD
from domain.enums import OrderSide
from domain.instruments import Instrument
from domain.invariants import (
    balance_reconciles,
    order_fill_within_quantity,
    order_status_reachable,
    position_cash_conserved,
    position_matches_fills,
)
from domain.kinds import Kind
from domain.order_fsm import ORDER_EVENT_KINDS, TRANSITIONS, InvalidTransition, OrderStatus
from domain.orders import Order, OrderFieldError, OrderSpec, OverfillError
from domain.positions import Fill, Position, PositionEffect
from domain.schema import NULL_I64
from domain.values import Money, Price, Quantity

INSTRUMENTS = [
    Instrument.equity("AAPL.XNAS"),
    Instrument.future("ESZ4.GLBX"),
    Instrument.crypto_perpetual(
        "XBTUSD.BITMEX", base="BTC", quote="USD", is_inverse=True, size_precision=0
    ),
    Instrument.crypto_perpetual("BTCUSDT-PERP.BINANCE"),
]
sides = st.sampled_from([OrderSide.BUY, OrderSide.SELL])
REF = {"client_order_id": 1, "instrument_id": 1, "strategy_id": 1}


class OrderMachine(RuleBasedStateMachine):
    """Random ORDER_* events against one order: legal ones apply, illegal ones raise."""

    @initialize(qty=st.integers(1, 50))
    def create(self, qty: int) -> None:
        spec = OrderSpec.limit(OrderSide.BUY, Quantity(qty, 0), Price(100, 2))
        self.order = Order(spec.initialized_fields(1, 1, 1, price_precision=2))
        self.model_filled = 0
        self.seq = 0

    def _fields(self, kind: int, qty: int) -> dict:
        self.seq += 1
        base = {**REF, "seq": self.seq, "ts_event": self.seq, "venue_order_id": 5,
                "reason_id": 0, "account_id": 1}
        if kind == Kind.ORDER_FILLED:
            base.update(trade_id=self.seq, position_id=1, side=1, liquidity_side=1,
                        price_precision=2, size_precision=0, last_qty=qty, last_px=100,
                        commission=1, commission_currency=USD.packed)
        if kind == Kind.ORDER_UPDATED:
            base.update(price_precision=2, size_precision=0, quantity=qty, price=101,
                        trigger_price=NULL_I64)
        if kind == Kind.ORDER_EMULATED:
            base.update(trigger_type=1)
        if kind == Kind.ORDER_RELEASED:
            base.update(price_precision=2, released_price=100)
        return base

    @rule(kind=st.sampled_from(ORDER_EVENT_KINDS), qty=st.integers(1, 30))
    def event(self, kind: int, qty: int) -> None:
        order = self.order
        before = (order.status, order.filled_raw, order.quantity_raw)
        legal = (order.status, kind) in TRANSITIONS
        if kind == Kind.ORDER_FILLED:
            overfill = order.filled_raw + qty > order.quantity_raw
        elif kind == Kind.ORDER_UPDATED:  # the quantity must stay above what is filled
            overfill = qty <= order.filled_raw
        else:
            overfill = False
        # a release or an arming needs an order the emulator holds (emulated, not released yet)
        unheld = kind in (Kind.ORDER_RELEASED, Kind.ORDER_ARMED) and (
            order.emulation_trigger is None or order.released)
        try:
            order.apply(kind, self._fields(kind, qty))
        except OrderFieldError:
            assert legal and unheld
            assert (order.status, order.filled_raw, order.quantity_raw) == before
            return
        except InvalidTransition:
            assert not legal
            assert (order.status, order.filled_raw, order.quantity_raw) == before
            return
        except OverfillError:
            assert overfill
            assert (order.status, order.filled_raw, order.quantity_raw) == before
            return
        assert legal and not overfill and not unheld
        if kind == Kind.ORDER_FILLED:
            self.model_filled += qty
        if kind == Kind.ORDER_UPDATED:
            assert order.quantity_raw == qty

    @rule()
    def submit_and_accept(self) -> None:
        if self.order.status == OrderStatus.INITIALIZED:
            self.order.apply(Kind.ORDER_SUBMITTED, self._fields(Kind.ORDER_SUBMITTED, 0))
            self.order.apply(Kind.ORDER_ACCEPTED, self._fields(Kind.ORDER_ACCEPTED, 0))

    @invariant()
    def invariants_hold(self) -> None:
        assert order_fill_within_quantity(self.order) is None
        assert order_status_reachable(self.order) is None
        assert self.order.filled_raw == self.model_filled


class PositionMachine(RuleBasedStateMachine):
    """Random fills (partial closes, flips, re-openings) against one netting position."""

    @initialize(index=st.integers(0, len(INSTRUMENTS) - 1))
    def create(self, index: int) -> None:
        self.inst = INSTRUMENTS[index]
        self.pos = Position(self.inst, position_id=1)
        self.fills: list[Fill] = []

    @rule(side=sides, qty=st.integers(1, 40), px=st.integers(1, 10**7), fee=st.integers(0, 999))
    def fill(self, side: OrderSide, qty: int, px: int, fee: int) -> None:
        held = self.pos.signed_raw
        effect = self.pos.apply_fill(side, qty, px, fee, ts=len(self.fills))
        self.fills.append(Fill(self.inst, 0, 1, side, qty, px, fee))
        now = self.pos.signed_raw
        if held == 0:
            assert effect == PositionEffect.OPENED
        elif now == 0:
            assert effect == PositionEffect.CLOSED
        elif (held > 0) != (now > 0):
            assert effect == PositionEffect.FLIPPED and self.pos.closed_fields["signed_qty"] == 0
        else:
            assert effect == PositionEffect.CHANGED

    @invariant()
    def invariants_hold(self) -> None:
        assert position_matches_fills(self.pos, self.fills) is None
        assert position_cash_conserved(self.pos, self.fills) is None


class AccountMachine(RuleBasedStateMachine):
    """A cash and a margin account fed the same fills as positions, plus order locks."""

    START = (Money(1_000_000_00, USD), Money(500_00, EUR))

    @initialize()
    def create(self) -> None:
        self.cash = CashAccount(1, self.START)
        self.margin = MarginAccount(2, self.START, default_leverage=2.0)
        self.positions: dict[int, Position] = {}
        self.fills: list[Fill] = []
        self.locks: dict[int, int] = {}

    @rule(index=st.sampled_from([0, 1]), side=sides, qty=st.integers(1, 20),
          px=st.integers(1, 10**6), fee=st.integers(0, 500), in_eur=st.booleans())
    def fill(self, index: int, side: OrderSide, qty: int, px: int, fee: int, in_eur: bool):
        inst = INSTRUMENTS[index]
        ccy = EUR.packed if in_eur else 0
        pos = self.positions.setdefault(index, Position(inst, position_id=index))
        pos.apply_fill(side, qty, px, fee, ccy)
        self.cash.apply_fill(inst, side, qty, px, fee, ccy)
        self.margin.apply_fill(inst, pos.fill_realized_raw, fee, ccy)
        self.fills.append(Fill(inst, 0, index, side, qty, px, fee, ccy))

    @rule(key=st.integers(1, 5), qty=st.integers(1, 2000), px=st.integers(1, 10**6))
    def lock(self, key: int, qty: int, px: int) -> None:
        inst = INSTRUMENTS[0]
        before = self.cash.locked_raw(USD)
        reason = self.cash.lock(key, inst, OrderSide.BUY, qty, px)
        if reason is None:
            self.locks[key] = self.cash.lock_of(key)
        else:
            assert self.cash.locked_raw(USD) == before

    @rule(key=st.integers(1, 5))
    def unlock(self, key: int) -> None:
        assert self.cash.unlock(key) == self.locks.pop(key, 0)

    @invariant()
    def invariants_hold(self) -> None:
        assert balance_reconciles(self.cash, self.START, self.fills) is None
        assert balance_reconciles(self.margin, self.START, self.fills) is None
        assert self.cash.locked_raw(USD) == sum(self.locks.values())
        for row in self.cash.to_fields():
            assert row["balance_free"] == row["balance_total"] - row["balance_locked"]


TestOrderMachine = OrderMachine.TestCase
TestPositionMachine = PositionMachine.TestCase
TestAccountMachine = AccountMachine.TestCase
