"""Funds locked by open orders in a cash account are derived by the cache from the orders."""

from __future__ import annotations

import numpy as np

from domain.codec import encode
from domain.currencies import Currency
from domain.enums import AccountType, OrderSide
from domain.kinds import Kind
from tests.unit.kernel_rig import INPUT, SYMBOL, build, feed, log, quotes
from tests.unit.test_kernel_bad_commands import Scripted

USD = Currency.from_code("USD").packed
EUR = Currency.from_code("EUR").packed


def _limit(side: OrderSide, qty: int, price: str):
    def act(s: Scripted) -> None:
        s.ids.append(s.submit_order(s.order_factory.limit(SYMBOL, side, qty, price)))
    return act


def _kernel(script, n: int, eur: int = 0):
    strategy = Scripted(script)
    kernel = build([strategy])
    aid = kernel.component("exchange-SIM").account_id
    if eur:
        kernel.publish_one(encode(
            Kind.ACCOUNT_STATE, ts_init=kernel.ctx.now_ns, flags=INPUT, account_id=aid,
            currency=EUR, account_type=int(AccountType.CASH), balance_total=eur,
            balance_free=eur)[0])
    feed(kernel, quotes(kernel, np.full(n, 110_000, dtype=np.int64)))
    assert kernel.faulted is None
    return kernel, strategy, kernel.cache.account(aid)


def test_a_resting_limit_buy_locks_its_notional_and_fee_until_it_is_canceled():
    kernel, s, account = _kernel({2: _limit(OrderSide.BUY, 10_000, "1.09000")}, 3)
    inst = kernel.cache.instrument(kernel.strings.id_of(SYMBOL))
    notional = inst.notional_raw(10_000, 109_000)
    expected = notional + max(0, round(notional * inst.taker_fee))
    assert account.locked_raw(USD) == expected == account.lock_of(s.ids[0])
    assert account.free_raw(USD) == account.total_raw(USD) - expected
    kernel2, s2, account2 = _kernel({2: _limit(OrderSide.BUY, 10_000, "1.09000"),
                                     3: lambda s: s.cancel_order(s.ids[0])}, 4)
    assert account2.locked_raw(USD) == 0 and account2.lock_of(s2.ids[0]) == 0


def test_a_limit_sell_locks_base_currency_only_when_the_account_holds_it():
    _, _, usd_only = _kernel({2: _limit(OrderSide.SELL, 10_000, "1.11000")}, 3)
    assert usd_only.locked_raw(USD) == 0 and EUR not in usd_only._currencies
    _, s, with_eur = _kernel({2: _limit(OrderSide.SELL, 10_000, "1.11000")}, 3, eur=5_000_000)
    assert with_eur.locked_raw(EUR) == 10_000 * 100  # EUR has precision 2
    assert with_eur.free_raw(EUR) == 5_000_000 - 1_000_000


def test_account_states_emitted_on_fills_report_the_locks_of_open_orders():
    kernel, s, account = _kernel({2: _limit(OrderSide.BUY, 10_000, "1.09000"),
                                  3: Scripted.buy}, 4)
    usd_states = [r for r in log(kernel) if r.kind == Kind.ACCOUNT_STATE and r.currency == USD]
    last = usd_states[-1]
    assert last.balance_locked == account.locked_raw(USD) > 0
    assert last.balance_free == last.balance_total - last.balance_locked
