"""What a FIX venue supports, declared in its config, and the emulation decision per order.

A venue lacking an order type or a message gets emulation where it is safe and a denial with a
reason otherwise, decided before anything is sent:

- MARKET on a limit-only venue goes out as a marketable LIMIT at a protection price
  ``protection_bps`` beyond the caller's reference price (buy above, sell below);
- modify on a venue without OrderCancelReplaceRequest becomes cancel, then a new order version
  for the remaining quantity once the venue confirms the cancel;
- a time in force the venue lacks (QuickFIX ordermatch: DAY only) is denied: re-submitting a
  GTC order every session is not emulated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from domain.enums import OrderSide, OrderType, TimeInForce


@attrs.frozen
class VenueCapabilities:
    """A venue's declared order types, times in force and messages."""

    order_types: frozenset[OrderType] = frozenset({OrderType.LIMIT})
    time_in_force: frozenset[TimeInForce] = frozenset({TimeInForce.DAY})
    cancel_replace: bool = False
    protection_bps: int = 50

    @classmethod
    def from_config(cls, table: Mapping[str, Any]) -> VenueCapabilities:
        """Returns capabilities from a config table (names as in the enums, e.g. "LIMIT");
        raises ValueError naming the key and value it cannot read."""
        known = {"order_types", "time_in_force", "cancel_replace", "protection_bps"}
        unknown = set(table) - known
        if unknown:
            raise ValueError(f"venue capabilities: unknown keys {sorted(unknown)}")
        try:
            types = frozenset(OrderType[n] for n in table.get("order_types", ["LIMIT"]))
            tifs = frozenset(TimeInForce[n] for n in table.get("time_in_force", ["DAY"]))
        except KeyError as exc:
            raise ValueError(f"venue capabilities: unknown name {exc.args[0]!r}") from None
        bps = int(table.get("protection_bps", 50))
        if not 0 < bps < 10_000:
            raise ValueError(f"venue capabilities: protection_bps must be in 1..9999, got {bps}")
        return cls(types, tifs, bool(table.get("cancel_replace", False)), bps)

    def denial(self, order_type: OrderType, tif: TimeInForce, reference_price: int | None) -> str | None:
        """Returns why an order cannot go to this venue, or None when it can (maybe emulated)."""
        if tif not in self.time_in_force:
            names = ", ".join(sorted(t.name for t in self.time_in_force))
            return f"venue supports time in force {names} only, got {tif.name}"
        if order_type in self.order_types:
            return None
        if order_type == OrderType.MARKET and OrderType.LIMIT in self.order_types:
            if reference_price is None:
                return "market order emulated as a marketable limit needs a reference price"
            return None
        return f"venue does not support order type {order_type.name}"

    def protection_price(self, side: OrderSide, reference_price: int) -> int:
        """Returns the limit price of an emulated market order (raw, same precision)."""
        offset = -(-abs(reference_price) * self.protection_bps // 10_000)  # ceil
        return reference_price + offset if side == OrderSide.BUY else reference_price - offset
