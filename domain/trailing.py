"""Trailing stops: where a trailing stop's trigger (and a trailing stop-limit's limit) is now.

Design contract: pure integer functions (raw prices at the instrument's precision, ``tick_raw``
its price increment raw); no state, no floats. A sell trails below the basis price, a buy above
it; the new level is rounded onto the tick grid away from the market (a sell down, a buy up),
so it is never closer than the offset. :func:`trail` only ever moves a level in the favourable
direction (a sell's up, a buy's down): it returns None when the basis would move it back.
NautilusTrader's ``TrailingStopCalculator`` is the reference for the rules (its float maths is not
reproduced: basis-point offsets here are exact integer hundredths of a basis point).
"""

from __future__ import annotations

from domain.enums import OrderSide, TrailingOffsetType, TriggerType
from domain.schema import NULL_I64

_BUY = int(OrderSide.BUY)
_PRICE, _BPS, _TICKS = (int(TrailingOffsetType.PRICE), int(TrailingOffsetType.BASIS_POINTS),
                        int(TrailingOffsetType.TICKS))
_QUOTE_TRIGGERS = frozenset((int(TriggerType.DEFAULT), int(TriggerType.BID_ASK),
                             int(TriggerType.MID_POINT)))
#: Hundredths of a basis point per unit: 1 bp = 1e-4, so 1/100 bp = 1e-6.
BPS_SCALE = 1_000_000


def distance_raw(offset_type: int, offset: int, basis_raw: int, tick_raw: int) -> int:
    """Returns an offset as a raw price distance from ``basis_raw`` (basis points round up)."""
    if offset_type == _PRICE:
        return offset
    if offset_type == _TICKS:
        return offset * tick_raw
    if offset_type == _BPS:
        return -(-abs(basis_raw) * offset // BPS_SCALE)
    raise ValueError(f"trailing_offset_type must be 1 (PRICE), 2 (BASIS_POINTS) or 3 (TICKS), "
                     f"got {offset_type}")


def level_raw(side: int, offset_type: int, offset: int, basis_raw: int, tick_raw: int) -> int:
    """Returns the level ``offset`` away from ``basis_raw`` on the side away from the market
    (sell: below, rounded down to the grid; buy: above, rounded up)."""
    d = distance_raw(offset_type, offset, basis_raw, tick_raw)
    if side == _BUY:
        return -(-(basis_raw + d) // tick_raw) * tick_raw
    return (basis_raw - d) // tick_raw * tick_raw


def trail(side: int, current_raw: int | None, offset_type: int, offset: int, basis_raw: int,
          tick_raw: int) -> int | None:
    """Returns the level's new value when ``basis_raw`` moves it favourably (or it has none yet),
    else None. A sell's level only rises, a buy's only falls."""
    new = level_raw(side, offset_type, offset, basis_raw, tick_raw)
    if current_raw is None:
        return new
    if (new < current_raw) if side == _BUY else (new > current_raw):
        return new
    return None


def follow(side: int, trigger_raw: int | None, price_raw: int | None,
           trailing: tuple[int, int, int, int], basis_raw: int, tick_raw: int
           ) -> tuple[int | None, int | None] | None:
    """Returns a trailing stop's (trigger, limit price) after ``basis_raw`` when either moved,
    else None. ``trailing``: (offset type, trigger type, trailing offset, limit offset); the
    limit price trails only when the limit offset is set (a stop-limit)."""
    offset_type, _, offset, limit_offset = trailing
    trig = trail(side, trigger_raw, offset_type, offset, basis_raw, tick_raw)
    px = trail(side, price_raw, offset_type, limit_offset, basis_raw, tick_raw) \
        if limit_offset else None
    if trig is None and px is None:
        return None
    return (trigger_raw if trig is None else trig), (price_raw if px is None else px)


def quote_basis(side: int, trigger_type: int, bid_raw: int, ask_raw: int) -> int | None:
    """Returns the price a quote gives a trailing stop of ``trigger_type`` to follow (None: the
    type follows trades, or the side it needs is missing). A mid rounds toward the order's side
    of the spread's centre (sell: down, buy: up)."""
    if trigger_type not in _QUOTE_TRIGGERS:
        return None
    if trigger_type == TriggerType.MID_POINT:
        if bid_raw == NULL_I64 or ask_raw == NULL_I64:
            return None
        total = bid_raw + ask_raw
        return -(-total // 2) if side == _BUY else total // 2
    px = ask_raw if side == _BUY else bid_raw
    return None if px == NULL_I64 else px


def trade_basis(trigger_type: int, price_raw: int) -> int | None:
    """Returns the price a trade gives a trailing stop of ``trigger_type`` (LAST_PRICE only)."""
    return price_raw if trigger_type == TriggerType.LAST_PRICE else None


__all__ = ["BPS_SCALE", "distance_raw", "follow", "level_raw", "quote_basis", "trade_basis",
           "trail"]
