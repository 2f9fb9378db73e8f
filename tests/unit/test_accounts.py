"""Cash and margin accounts: balances, locks, fills, margins and ACCOUNT_STATE fields."""

from __future__ import annotations

import pytest

from domain.accounts import AccountError, CashAccount, MarginAccount
from domain.codec import encode, fields_of
from domain.currencies import EUR, USD
from domain.enums import AccountType, OrderSide
from domain.instruments import Instrument
from domain.kinds import Kind
from domain.values import Money

AAPL = Instrument.equity("AAPL.XNAS", taker_fee=0.001)
ES = Instrument.future("ESZ4.GLBX", margin_init=0.1, margin_maint=0.05)
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def test_a_buy_order_locks_notional_plus_fee_and_unlock_releases_it():
    acc = CashAccount(1, [Money(1000_00, USD)])
    assert acc.lock(11, AAPL, BUY, 5, 100_00) is None
    assert acc.locked_raw(USD) == 500_50 and acc.free_raw(USD) == 499_50
    assert acc.lock(12, AAPL, SELL, 5, 100_00) is None  # sells lock nothing in cash
    assert acc.unlock(11) == 500_50 and acc.locked_raw(USD) == 0
    assert acc.unlock(11) == 0


def test_a_lock_beyond_free_funds_is_refused_with_a_reason_and_changes_nothing():
    acc = CashAccount(1, [Money(1000_00, USD)])
    assert acc.lock(1, AAPL, BUY, 6, 100_00) is None
    reason = acc.lock(2, AAPL, BUY, 5, 100_00)
    assert reason is not None and "insufficient USD" in reason
    assert acc.locked_raw(USD) == 600_60 and acc.lock_of(2) == 0


def test_relocking_the_same_key_replaces_the_lock():
    acc = CashAccount(1, [Money(1000_00, USD)])
    acc.lock(1, AAPL, BUY, 9, 100_00)
    assert acc.lock(1, AAPL, BUY, 9, 101_00) is None  # modify: the old lock is released first
    assert acc.locked_raw(USD) == acc.lock_of(1) == 909_91


def test_cash_fills_move_the_notional_and_the_commission():
    acc = CashAccount(1, [Money(1000_00, USD), Money(10_00, EUR)])
    assert acc.apply_fill(AAPL, BUY, 5, 100_00, commission_raw=50) == -500_00
    acc.apply_fill(AAPL, SELL, 5, 110_00, commission_raw=20, commission_currency=EUR.packed)
    assert acc.total_raw(USD) == 1000_00 - 500_00 - 50 + 550_00
    assert acc.total_raw(EUR) == 10_00 - 20


def test_a_fill_applies_even_when_it_overdraws():
    acc = CashAccount(1, [Money(100_00, USD)])
    acc.apply_fill(AAPL, BUY, 5, 100_00)
    assert acc.balance_total(USD) == Money(-400_00, USD)


def test_account_state_fields_are_one_record_per_currency_in_code_order():
    acc = CashAccount(3, [Money(1_00, USD), Money(2_00, EUR)])
    acc.lock(1, AAPL, BUY, 1, 50)
    rows = acc.to_fields()
    assert [r["currency"] for r in rows] == sorted([USD.packed, EUR.packed])
    for row in rows:
        fields = fields_of(encode(Kind.ACCOUNT_STATE, **row))
        assert fields["balance_free"] == fields["balance_total"] - fields["balance_locked"]
        assert fields["account_type"] == AccountType.CASH


def test_margin_orders_lock_initial_margin_divided_by_leverage():
    acc = MarginAccount(2, [Money(100_000_00, USD)], default_leverage=2.0)
    # 2 ES at 5000 = 500 000 USD notional; 10% / 2 = 25 000 USD
    assert acc.lock(1, ES, BUY, 2, 5000_00) is None
    assert acc.locked_raw(USD) == 25_000_00
    assert acc.to_fields()[0]["margin_init"] == 25_000_00
    acc.set_leverage(ES, 5.0)
    assert acc.margin_init_raw(ES, 2, 5000_00) == 10_000_00
    acc.unlock(1)
    assert acc.locked_raw(USD) == 0 and acc.to_fields()[0]["margin_init"] == 0


def test_margin_refuses_an_order_beyond_free_balance():
    acc = MarginAccount(2, [Money(1_000_00, USD)])
    assert "insufficient" in (acc.lock(1, ES, BUY, 1, 5000_00) or "")


def test_position_margin_is_maintenance_at_the_mark_and_replaced_on_update():
    acc = MarginAccount(2, [Money(100_000_00, USD)])
    acc.update_position_margin(ES, -2, 5000_00)
    assert acc.locked_raw(USD) == 25_000_00  # 500 000 * 5%
    acc.update_position_margin(ES, -1, 4000_00)
    assert acc.locked_raw(USD) == 10_000_00
    acc.update_position_margin(ES, 0, 4000_00)
    assert acc.locked_raw(USD) == 0 and acc.to_fields()[0]["margin_maint"] == 0


def test_margin_fills_book_realized_pnl_and_commission_only():
    acc = MarginAccount(2, [Money(10_000_00, USD)])
    acc.apply_fill(ES, 0, commission_raw=2_00)
    acc.apply_fill(ES, -1000_00, commission_raw=2_00)
    assert acc.total_raw(USD) == 10_000_00 - 1000_00 - 4_00


def test_leverage_below_one_is_refused():
    with pytest.raises(AccountError, match="leverage"):
        MarginAccount(1, default_leverage=0.5)
