"""The portfolio: a read-only view over the cache (balances, exposure, PnL).

Design contract:
- reads the cache only; holds no state of its own, so it needs no snapshot;
- marks: a LONG position is marked at the latest quote's BID and a SHORT one at its ASK (the
  price it could be closed at now); ``mark="mid"`` marks both at ``(bid + ask) / 2``, rounded
  half away from zero to the price grid's raw unit. Without a quote a position is marked at its
  average open price (unrealized 0);
- amounts are raw ints in the instrument's settlement currency; totals are per currency, in
  ascending packed-code order; nothing converts between currencies.
"""

from __future__ import annotations

from typing import Any

from domain.instruments import div_round
from domain.positions import Position


class Portfolio:
    """Balances, net exposure and PnL per instrument and in total, from ``cache``."""

    def __init__(self, cache: Any, mark: str = "side") -> None:
        if mark not in ("side", "mid"):
            raise ValueError(f"Portfolio: mark must be 'side' or 'mid', got {mark!r}")
        self.cache = cache
        self.mark = mark

    def mark_price_raw(self, position: Position) -> int | None:
        """Returns the raw price ``position`` is marked at, or None without a quote."""
        quote = self.cache.quote(position.instrument_id)
        if quote is None:
            return None
        if self.mark == "mid":
            return div_round(quote.bid + quote.ask, 2)
        return quote.bid if position.signed_raw > 0 else quote.ask

    def _positions(self, instrument_id: int | None) -> list[Position]:
        return self.cache.positions(instrument_id=instrument_id)

    def net_position_raw(self, instrument_id: int) -> int:
        """Returns the signed raw quantity summed over the instrument's positions."""
        return sum(p.signed_raw for p in self._positions(instrument_id))

    def net_exposure_raw(self, instrument_id: int) -> int:
        """Returns the signed notional of the instrument's open positions at their marks."""
        total = 0
        for p in self._positions(instrument_id):
            px = self.mark_price_raw(p)
            if p.signed_raw and px is not None:
                n = p.notional_raw(px)
                total += n if p.signed_raw > 0 else -n
        return total

    def unrealized_pnl_raw(self, instrument_id: int) -> int:
        """Returns the unrealized PnL of the instrument's open positions (0 without a quote)."""
        total = 0
        for p in self._positions(instrument_id):
            px = self.mark_price_raw(p)
            if p.signed_raw and px is not None:
                total += p.unrealized_pnl_raw(px)
        return total

    def realized_pnl_raw(self, instrument_id: int) -> int:
        """Returns the realized PnL (commissions in the settlement currency included) of the
        instrument's positions, current cycles only (see domain.positions)."""
        return sum(p.realized_pnl_raw for p in self._positions(instrument_id))

    def total_pnl_raw(self, instrument_id: int) -> int:
        """Returns realized + unrealized PnL of the instrument."""
        return self.realized_pnl_raw(instrument_id) + self.unrealized_pnl_raw(instrument_id)

    def totals_by_currency(self) -> dict[int, dict[str, int]]:
        """Returns ``{packed currency: {"realized", "unrealized"}}`` over every position."""
        out: dict[int, dict[str, int]] = {}
        for p in self._positions(None):
            c = p.instrument.settlement_currency.packed
            row = out.setdefault(c, {"realized": 0, "unrealized": 0})
            row["realized"] += p.realized_pnl_raw
            px = self.mark_price_raw(p)
            if p.signed_raw and px is not None:
                row["unrealized"] += p.unrealized_pnl_raw(px)
        return {c: out[c] for c in sorted(out)}

    def balances(self, account_id: int) -> list[dict[str, Any]]:
        """Returns the account's ACCOUNT_STATE fields per currency (empty when unknown)."""
        account = self.cache.account(account_id)
        return [] if account is None else account.to_fields()
