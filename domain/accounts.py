"""Accounts: balances per currency, funds locked by open orders, and margin.

Design contract:
- amounts are raw ints at each currency's precision, keyed by packed currency code; output
  (:meth:`to_fields`) is in ascending code order, so it is deterministic;
- ``free = total - locked`` always; a lock that would make ``free`` negative is refused with a
  reason string (an expected outcome, not an exception), and changes nothing;
- a fill is a fact and always applies, even when it takes a balance below zero;
- :class:`CashAccount` books each fill's full cash flow (:meth:`Instrument.cash_flow_raw`) in the
  settlement currency; the asset bought is represented by the position, not by a balance;
  only buy orders lock funds (their notional plus the taker fee);
- :class:`MarginAccount` books only realized PnL and commissions; open orders lock initial
  margin and positions maintenance margin, both ``notional * rate / leverage`` (NautilusTrader's
  ``MarginAccount`` model); ``margin_init`` is always the sum of the order locks and
  ``margin_maint`` the sum of the position margins, so ``locked = margin_init + margin_maint``;
- :meth:`_Account.set_lock` is the fold's path (a fact: no free-balance check), :meth:`lock`
  the checking one;
- an account may have a base currency (``base_code``, packed; 0 for none) and remembers the
  last journaled rate of each other currency into it (``fx``, from FX_RATE records); a margin
  account with a base currency holds its margins in the base currency, converted at that rate
  (in the settlement currency until a rate is known).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.currencies import Currency
from domain.enums import AccountType, OrderSide
from domain.instruments import Instrument
from domain.money import convert_raw
from domain.values import Money

#: The payload fields of an ACCOUNT_STATE record, in the order of ``field_rows``.
ACCOUNT_FIELD_NAMES = (
    "account_id", "currency", "account_type", "balance_total", "balance_locked", "balance_free",
    "margin_init", "margin_maint",
)


class AccountError(ValueError):
    """A structural error in an account call (unknown lock key, bad leverage)."""


class _Account:
    """Balances per currency and keyed locks; shared by cash and margin accounts."""

    account_type = AccountType.CASH

    def __init__(self, account_id: int, starting: Iterable[Money] = ()) -> None:
        self.account_id = account_id
        self._currencies: dict[int, Currency] = {}
        self._total: dict[int, int] = {}
        self._locked: dict[int, int] = {}
        self._locks: dict[int, tuple[int, int]] = {}  # key -> (currency, raw)
        self._margin_init: dict[int, int] = {}
        self._margin_maint: dict[int, int] = {}
        self.base_code = 0
        self.fx: dict[int, float] = {}  # packed currency -> last journaled rate into base
        for money in starting:
            self.deposit(money)

    def _ccy(self, currency: Currency | int) -> int:
        if isinstance(currency, Currency):
            code = currency.packed
            if code not in self._currencies:
                self._currencies[code] = currency
        else:
            code = currency
            if code not in self._currencies:
                self._currencies[code] = Currency.from_packed(code)
        return code

    def _settle_code(self, instrument: Instrument) -> int:
        code = instrument.settlement_code
        if code not in self._currencies:
            self._currencies[code] = instrument.settlement_currency
        return code

    def deposit(self, money: Money) -> None:
        """Adds ``money`` to the total balance (a negative amount withdraws)."""
        c = self._ccy(money.currency)
        self._total[c] = self._total.get(c, 0) + money.raw

    def currencies(self) -> list[Currency]:
        """Returns the account's currencies in ascending packed-code order."""
        return [self._currencies[c] for c in sorted(self._currencies)]

    def total_raw(self, currency: Currency | int) -> int:
        return self._total.get(self._ccy(currency), 0)

    def locked_raw(self, currency: Currency | int) -> int:
        return self._locked.get(self._ccy(currency), 0)

    def free_raw(self, currency: Currency | int) -> int:
        c = self._ccy(currency)
        return self._total.get(c, 0) - self._locked.get(c, 0)

    def balance_total(self, currency: Currency) -> Money:
        return Money(self.total_raw(currency), currency)

    def balance_free(self, currency: Currency) -> Money:
        return Money(self.free_raw(currency), currency)

    def balance_locked(self, currency: Currency) -> Money:
        return Money(self.locked_raw(currency), currency)

    def _lock_raw(self, key: int, currency: Currency | int, raw: int) -> str | None:
        if raw < 0:
            raise AccountError(f"account {self.account_id}: lock amount must be >= 0, got {raw}")
        c = self._ccy(currency)
        old_c, old_raw = self._locks.get(key, (c, 0))
        free = self._total.get(c, 0) - self._locked.get(c, 0) + (old_raw if old_c == c else 0)
        if raw > free:
            code = self._currencies[c].code
            return f"insufficient {code}: need raw {raw}, free raw {free} (account {self.account_id})"
        self.set_lock(key, c, raw)
        return None

    def unlock(self, key: int) -> int:
        """Releases the lock held under ``key`` (e.g. a client order id); returns its raw amount
        (0 when there is none: closing an order that never locked funds is not an error)."""
        entry = self._locks.pop(key, None)
        if entry is None:
            return 0
        c, raw = entry
        self._locked[c] -= raw
        return raw

    def set_lock(self, key: int, currency: int, raw: int) -> None:
        """Sets the lock under ``key`` to ``raw`` of the packed ``currency`` (0 releases it),
        whatever the free balance: what an open order holds is a fact the cache folds."""
        self.unlock(key)
        if raw:
            c = self._ccy(currency)
            self._locks[key] = (c, raw)
            self._locked[c] = self._locked.get(c, 0) + raw
            self._note_lock(c, raw)

    def _note_lock(self, currency: int, raw: int) -> None:
        """Hook: a lock of ``raw`` was added in ``currency`` (margin accounts count it)."""

    def lock_of(self, key: int) -> int:
        """Returns the raw amount locked under ``key`` (0 for none)."""
        return self._locks.get(key, (0, 0))[1]

    def apply_fx(self, from_code: int, to_code: int, rate: float, amount_from: int,
                 amount_to: int) -> None:
        """Folds an FX_RATE record: remembers the rate and moves the converted amount."""
        if to_code == self.base_code:
            self.fx[from_code] = rate
        if amount_from or amount_to:
            f, t = self._ccy(from_code), self._ccy(to_code)
            self._total[f] = self._total.get(f, 0) - amount_from
            self._total[t] = self._total.get(t, 0) + amount_to

    def _charge(self, commission_raw: int, commission_currency: int, settle: int) -> None:
        if commission_raw:
            c = self._ccy(commission_currency or settle)
            self._total[c] = self._total.get(c, 0) - commission_raw

    def to_fields(self) -> list[dict[str, Any]]:
        """Returns one ACCOUNT_STATE payload per currency, ascending by packed code."""
        return [dict(zip(ACCOUNT_FIELD_NAMES, row, strict=True)) for row in self.field_rows()]

    def field_rows(self) -> list[tuple[int, ...]]:
        """Returns :meth:`to_fields`' values in :data:`ACCOUNT_FIELD_NAMES` order (hot path)."""
        out = []
        account_type = int(self.account_type)
        for c in sorted(self._currencies):
            total, locked = self._total.get(c, 0), self._locked.get(c, 0)
            out.append((self.account_id, c, account_type, total, locked, total - locked,
                        self._margin_init.get(c, 0), self._margin_maint.get(c, 0)))
        return out


class CashAccount(_Account):
    """A cash account: fills move the full notional; buy orders lock their cost."""

    account_type = AccountType.CASH

    def order_lock_raw(self, instrument: Instrument, side: int, qty_raw: int, px_raw: int) -> int:
        """Returns what an order must lock: a buy's notional plus taker fee; 0 for a sell."""
        if side != OrderSide.BUY:
            return 0
        notional = instrument.notional_raw(qty_raw, px_raw)
        return notional + max(0, round(notional * instrument.taker_fee))

    def lock(
        self, key: int, instrument: Instrument, side: int, qty_raw: int, px_raw: int
    ) -> str | None:
        """Locks the funds for an open order under ``key`` (replacing any earlier lock);
        returns None, or the reason it was refused (insufficient free balance)."""
        raw = self.order_lock_raw(instrument, side, qty_raw, px_raw)
        return self._lock_raw(key, instrument.settlement_currency, raw)

    def apply_fill(
        self, instrument: Instrument, side: int, last_qty_raw: int, last_px_raw: int,
        commission_raw: int = 0, commission_currency: int = 0,
    ) -> int:
        """Books a fill's cash flow and commission (``commission_currency`` packed; 0 means the
        settlement currency); returns the cash flow before commission (raw)."""
        settle = self._settle_code(instrument)
        flow = instrument.cash_flow_raw(side, last_qty_raw, last_px_raw)
        self._total[settle] = self._total.get(settle, 0) + flow
        self._charge(commission_raw, commission_currency, settle)
        return flow


class MarginAccount(_Account):
    """A margin account: fills move realized PnL and commissions; margin is locked."""

    account_type = AccountType.MARGIN

    def __init__(
        self, account_id: int, starting: Iterable[Money] = (), default_leverage: float = 1.0
    ) -> None:
        super().__init__(account_id, starting)
        self._check_leverage(default_leverage)
        self.default_leverage = default_leverage
        self._leverages: dict[object, float] = {}
        self._position_margin: dict[object, tuple[int, int]] = {}  # instrument id -> (ccy, raw)

    def _check_leverage(self, leverage: float) -> None:
        if not leverage >= 1.0:
            raise AccountError(f"account {self.account_id}: leverage must be >= 1, got {leverage}")

    def set_leverage(self, instrument: Instrument, leverage: float) -> None:
        """Sets the leverage used for ``instrument``'s margins (>= 1)."""
        self._check_leverage(leverage)
        self._leverages[instrument.id] = leverage

    def leverage(self, instrument: Instrument) -> float:
        if not self._leverages:  # the usual case; hashing an instrument id is not free
            return self.default_leverage
        return self._leverages.get(instrument.id, self.default_leverage)

    def margin_init_raw(self, instrument: Instrument, qty_raw: int, px_raw: int) -> int:
        """Returns the initial margin of an order: notional * margin_init / leverage."""
        n = instrument.notional_raw(qty_raw, px_raw)
        return round(n * instrument.margin_init / self.leverage(instrument))

    def margin_maint_raw(self, instrument: Instrument, qty_raw: int, px_raw: int) -> int:
        """Returns the maintenance margin of a position: notional * margin_maint / leverage."""
        n = instrument.notional_raw(abs(qty_raw), px_raw)
        return round(n * instrument.margin_maint / self.leverage(instrument))

    def order_lock_raw(self, instrument: Instrument, side: int, qty_raw: int, px_raw: int) -> int:
        """Returns what an open order locks: its initial margin (either side)."""
        return self.margin_init_raw(instrument, qty_raw, px_raw)

    def lock(
        self, key: int, instrument: Instrument, side: int, qty_raw: int, px_raw: int
    ) -> str | None:
        """Locks the initial margin of an open order under ``key``; returns None or a reason."""
        raw = self.margin_init_raw(instrument, qty_raw, px_raw)
        return self._lock_raw(key, instrument.settlement_code, raw)

    def _note_lock(self, currency: int, raw: int) -> None:
        self._margin_init[currency] = self._margin_init.get(currency, 0) + raw

    def unlock(self, key: int) -> int:
        entry = self._locks.get(key)
        raw = super().unlock(key)
        if entry is not None:
            c = entry[0]
            self._margin_init[c] = self._margin_init.get(c, 0) - raw
        return raw

    def in_margin_currency(self, instrument: Instrument, raw: int) -> tuple[int, int]:
        """Returns ``(packed currency, raw)`` of a margin computed in the instrument's
        settlement currency: converted into the base currency at the last journaled rate when
        the account has one, else as it is."""
        settle = instrument.settlement_code
        base = self.base_code
        if not base or settle == base:
            return settle, raw
        rate = self.fx.get(settle)
        if rate is None:
            return settle, raw
        return base, convert_raw(raw, instrument.settlement_currency,
                                 self._currencies.get(base) or Currency.from_packed(base), rate)

    def position_margin_raw(self, key: object) -> int:
        """Returns the maintenance margin held for the position under ``key`` (0 for none)."""
        return self._position_margin.get(key, (0, 0))[1]

    def update_position_margin(
        self, instrument: Instrument, signed_qty_raw: int, mark_px_raw: int,
        key: object = None,
    ) -> None:
        """Sets the maintenance margin held for a position at a mark price; ``key`` names the
        position (default: the instrument id: one position per instrument)."""
        key = instrument.id if key is None else key
        old_c, old = self._position_margin.pop(key, (0, 0))
        if old:
            self._locked[old_c] = self._locked.get(old_c, 0) - old
            self._margin_maint[old_c] = self._margin_maint.get(old_c, 0) - old
        new = self.margin_maint_raw(instrument, signed_qty_raw, mark_px_raw) if signed_qty_raw else 0
        c, new = self.in_margin_currency(instrument, new)
        c = self._ccy(c)
        if new:
            self._position_margin[key] = (c, new)
        self._locked[c] = self._locked.get(c, 0) + new
        self._margin_maint[c] = self._margin_maint.get(c, 0) + new

    def apply_fill(
        self, instrument: Instrument, realized_pnl_raw: int, commission_raw: int = 0,
        commission_currency: int = 0,
    ) -> None:
        """Books the gross PnL a fill realized (Position.fill_realized_raw) and its commission."""
        settle = self._settle_code(instrument)
        self._total[settle] = self._total.get(settle, 0) + realized_pnl_raw
        self._charge(commission_raw, commission_currency, settle)
