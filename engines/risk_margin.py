"""What an order would do to its position and to a margin account: the risk engine's view.

Design contract:
- the position an order is checked against (for margin and cash holdings) is the cache's
  position plus the orders already sent to it that will fill without a price condition:
  submitted but not yet applied or acknowledged (in flight), and open MARKET orders; so a flip
  sent as "close, then open" is checked as opening the new side, not as reducing the old one.
  Resting limit and stop orders are not counted (they may never fill); the trading state and
  reduce-only checks use the position as it is;
- an order's initial margin is that of the part that opens or increases exposure: all of it
  when the projected position is flat or on its side, else what exceeds the projected size;
- the maintenance margin the cache holds for the position is released, pro rata, by what the
  pending orders and this one take off it (all of it when they close or flip it);
- a margin account with a base currency needs the initial margin converted into it at the rate
  the quotes give now (:mod:`engines.fx_rates`); no rate: the order is denied with that reason;
- pure functions of the cache and the values given; nothing is changed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from domain.accounts import MarginAccount
from domain.enums import OrderSide
from domain.order_fsm import OrderStatus
from engines import fx_rates
from engines.cache_pending import EITHER_OR

_BUY = OrderSide.BUY  # read per order: a global, not an enum class attribute (~70 ns)
_ST_INITIALIZED = OrderStatus.INITIALIZED


def signed(side: Any, qty_raw: int) -> int:
    """Returns ``qty_raw`` with the order side's sign (+ buy, - sell)."""
    return qty_raw if side == _BUY else -qty_raw


def pending_raw(cache: Any, order: Any, position_id: int, unapplied: Iterable[int]) -> int:
    """Returns the signed leaves quantity of the other orders bound for ``position_id`` (of the
    order's strategy and instrument, routed there or not routed yet) that are in flight
    (forwarded but still INITIALIZED in the cache: ``unapplied`` holds their client order ids,
    and may hold others, which are ignored; or SUBMITTED) or MARKET orders.
    An OCO / OUO partner of ``order`` is left out: at most one of the two fills, so the partner
    can never add to what ``order`` finds (a bracket's take-profit and stop-loss).

    Costs O(orders in ``unapplied`` + OCO / OUO orders linked to ``order``): the SUBMITTED and
    MARKET orders come summed per position from the cache (:mod:`engines.cache_pending`)."""
    trading = cache.trading
    leaves = trading.pending_leaves
    if not leaves.counted and not unapplied:
        return 0  # nothing sent is waiting (a backtest's usual submit)
    orders = trading.orders
    coid, sid, iid = order.client_order_id, order.strategy_id, order.instrument_id
    sums = leaves.sums
    entry = sums.get((sid, iid, 0))
    total = entry[1] if entry is not None else 0
    if position_id and (entry := sums.get((sid, iid, position_id))) is not None:
        total += entry[1]
    # the orders the sum must leave out: this one, its partner, those naming it as theirs
    group = leaves.either_or.get((sid, iid))
    either_or = int(order.contingency) in EITHER_OR
    if group is None and not either_or:
        skip: Collection[int] = (coid,)
    else:
        skip = {coid, order.linked_order_id} if either_or else {coid}
        for other in group or ():
            if orders[other].linked_order_id == coid:
                skip.add(other)
    counted = leaves.counted
    for other in skip:
        entry = counted.get(other)
        if entry is not None and entry[0] in ((sid, iid, 0), (sid, iid, position_id)):
            total -= entry[1]
    for other in unapplied:  # in flight, its ORDER_SUBMITTED not applied yet
        o = orders.get(other)
        if o is None or o.status != _ST_INITIALIZED or other in skip \
                or o.strategy_id != sid or o.instrument_id != iid:
            continue
        if (o.position_id and o.position_id != position_id) or (
                o.linked_order_id == coid and int(o.contingency) in EITHER_OR):
            continue
        total += signed(o.side, o.quantity_raw - o.filled_raw)
    return total


def opening_raw(before_raw: int, side: Any, qty_raw: int) -> int:
    """Returns the part of an order that opens or increases exposure from ``before_raw``."""
    if before_raw == 0 or (before_raw > 0) == (side == _BUY):
        return qty_raw
    return max(0, qty_raw - abs(before_raw))


def released_raw(margin_raw: int, held_raw: int, after_raw: int) -> int:
    """Returns the maintenance margin freed when a position of ``held_raw`` (holding
    ``margin_raw``) becomes ``after_raw``."""
    if not held_raw or not margin_raw:
        return 0
    if after_raw == 0 or (after_raw > 0) != (held_raw > 0):
        return margin_raw
    if abs(after_raw) >= abs(held_raw):
        return 0
    return margin_raw * (abs(held_raw) - abs(after_raw)) // abs(held_raw)


def lock_need(account: Any, inst: Any, order: Any, px: int, held: int | None,
              cache: Any) -> tuple[int, int, fx_rates.FxRate | None] | str:
    """Returns ``(packed currency, raw, rate used)`` the order will lock: a margin account's
    initial margin of the part that opens exposure from ``held`` (all of it when None), in its
    base currency when it has one; a cash account's order lock in the settlement currency. A
    base-currency margin account without a rate gets the denial reason instead."""
    settle = inst.settlement_code
    if not isinstance(account, MarginAccount):
        return settle, account.order_lock_raw(inst, order.side, order.quantity_raw, px), None
    qty = order.quantity_raw if held is None else opening_raw(held, order.side,
                                                              order.quantity_raw)
    raw = account.margin_init_raw(inst, qty, px) if qty else 0
    base = account.base_code
    if not base or base == settle:
        return settle, raw, None
    fx = fx_rates.find_rate(cache, settle, base)
    if fx is None:
        return fx_rates.no_rate_reason(settle, base)
    return base, fx_rates.convert_raw(raw, settle, base, fx.rate), fx
