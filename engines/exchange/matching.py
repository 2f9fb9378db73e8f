"""Pure matching rules: crossing tests, stop triggers, walking price levels, expiry times.

Design contract: every function here is pure (ints in, ints out); prices and sizes are raw int64
at the instrument's precisions; sides are ``OrderSide`` values (BUY = 1, SELL = 2); levels are
``(price_raw, size_raw)`` pairs, best first. Nothing here reads state or emits records.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.enums import OrderSide
from domain.schema import NULL_I64

_BUY, _SELL = OrderSide.BUY, OrderSide.SELL  # read per order: a global, not an enum class attribute (~70 ns)

DAY_NS = 86_400_000_000_000

Level = tuple[int, int]


def crosses(side: int, limit_raw: int | None, opposite_px: int) -> bool:
    """True when an order of ``side`` limited at ``limit_raw`` (None: market) can trade at
    ``opposite_px`` (a buy when px <= limit, a sell when px >= limit)."""
    if limit_raw is None:
        return True
    return opposite_px <= limit_raw if side == _BUY else opposite_px >= limit_raw


def trades_through(side: int, limit_raw: int, trade_px: int) -> bool:
    """True when a trade printed strictly beyond a resting limit (buy: below it; sell: above)."""
    return trade_px < limit_raw if side == _BUY else trade_px > limit_raw


def stop_triggered(side: int, trigger_raw: int, price_raw: int) -> bool:
    """True when ``price_raw`` is at or through a stop's trigger (buy: >=, sell: <=)."""
    return price_raw >= trigger_raw if side == _BUY else price_raw <= trigger_raw


def touched(side: int, trigger_raw: int, price_raw: int) -> bool:
    """True when ``price_raw`` has reached an if-touched order's trigger from the favourable
    side (buy: <=, sell: >=) -- the mirror of :func:`stop_triggered`."""
    return price_raw <= trigger_raw if side == _BUY else price_raw >= trigger_raw


def opposite(side: int) -> int:
    """Returns the other side (BUY <-> SELL)."""
    return _SELL if side == _BUY else _BUY


def walk(levels: Sequence[Level], qty_raw: int, side: int, limit_raw: int | None) -> list[Level]:
    """Returns the fills ``[(price_raw, qty_raw)]`` of taking up to ``qty_raw`` from ``levels``
    (the opposite side, best first), stopping at the first level the limit does not cross.

    The total filled never exceeds ``qty_raw`` nor the sum of the crossing levels' sizes.
    """
    fills: list[Level] = []
    left = qty_raw
    for px, size in levels:
        if left <= 0 or not crosses(side, limit_raw, px):
            break
        if size <= 0:
            continue
        take = min(left, size)
        fills.append((px, take))
        left -= take
    return fills


def crossing_volume(levels: Sequence[Level], side: int, limit_raw: int | None) -> int:
    """Returns the total size of the levels an order of ``side`` limited at ``limit_raw`` crosses."""
    total = 0
    for px, size in levels:
        if not crosses(side, limit_raw, px):
            break
        total += max(size, 0)
    return total


def day_end_ns(ts_ns: int) -> int:
    """Returns the end of the UTC day holding ``ts_ns`` (the next midnight, ns)."""
    return (ts_ns // DAY_NS + 1) * DAY_NS


def opt_raw(raw: int) -> int | None:
    """Returns None for NULL_I64 (an optional field left unset), else ``raw``."""
    return None if raw == NULL_I64 else raw
