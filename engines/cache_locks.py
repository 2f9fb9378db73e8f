"""Funds locked by open orders, derived by the cache from the orders.

The rule (docs/engines.md, "Locked funds"):
- an order locks funds only while it is open (ACCEPTED, TRIGGERED, PENDING_UPDATE,
  PENDING_CANCEL, PARTIALLY_FILLED) and has a limit price (LIMIT, STOP_LIMIT, a MARKET_TO_LIMIT
  once priced); market and stop-market orders lock nothing (they fill at once or not at all);
- a BUY locks, in the settlement (quote) currency, what
  :meth:`domain.accounts.CashAccount.order_lock_raw` says for the leaves quantity at the limit
  price: the notional plus the taker fee the fill may cost;
- a SELL of an instrument with a base currency (an FX pair, a crypto spot pair) locks the leaves
  quantity in the base currency (rounded up to the currency's precision) when the account holds
  that currency (has a balance in it); other sells lock nothing (a simulated short from a
  quote-currency-only account reserves no base currency it never had);
- the lock is keyed by the client order id in the order's account (``order.account_id``) and is
  recomputed after every event of the order, so a partial fill, a modify or a close adjusts or
  releases it; a cash account's ``balance_locked`` is always the sum of its orders' locks
  (free may go negative when orders lock more than the account holds: the venue decides, the
  cache only reports);
- in a margin account an open priced order (either side) locks its initial margin
  (:meth:`domain.accounts.MarginAccount.order_lock_raw`) for the leaves quantity at its price,
  in the settlement currency; positions' maintenance margin is set by the cache on each fill.
"""

from __future__ import annotations

from typing import Any

from domain.accounts import CashAccount, MarginAccount
from domain.enums import OrderSide
from domain.instruments import Instrument
from domain.orders import Order

_BUY = OrderSide.BUY  # read per order: a global, not an enum class attribute (~70 ns)


def order_lock(order: Order, inst: Instrument | None, account: CashAccount | MarginAccount
               ) -> tuple[int, int]:
    """Returns ``(packed currency, raw amount)`` the order locks now (amount 0: nothing)."""
    price = order.price_raw
    if inst is None or price is None or not order.is_open:
        return 0, 0
    leaves = order.quantity_raw - order.filled_raw
    if leaves <= 0:
        return 0, 0
    if isinstance(account, MarginAccount):
        return account.in_margin_currency(
            inst, account.order_lock_raw(inst, order.side, leaves, price))
    if order.side == _BUY:
        return inst.settlement_code, account.order_lock_raw(inst, _BUY, leaves, price)
    base = inst.base_currency
    if base is None or base.packed not in account._currencies:
        return 0, 0
    shift = base.precision - inst.size_precision
    raw = leaves * 10**shift if shift >= 0 else -(-leaves // 10**-shift)
    return base.packed, raw


def refresh_lock(order: Order, inst: Instrument | None, account: CashAccount | MarginAccount
                 ) -> None:
    """Sets the lock of ``order`` in its account to what :func:`order_lock` says."""
    currency, raw = order_lock(order, inst, account)
    if raw or order.client_order_id in account._locks:  # else no lock before or after
        account.set_lock(order.client_order_id, currency, raw)


def locked_by_orders(account: Any, currency: int) -> int:
    """Returns the sum of the order locks of ``account`` in ``currency`` (raw)."""
    return sum(raw for c, raw in account._locks.values() if c == currency)
