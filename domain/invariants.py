"""Named invariants of the trading state; each returns None when it holds, else a short violation.

Design contract:
- pure functions of their arguments: they never change what they are given (fresh positions are
  folded where a recomputation is needed) and raise nothing for a violated invariant;
- the property tests check every one after every step; later issues run the same functions over
  journals, so the messages name the order / position / currency involved.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from domain.accounts import CashAccount, MarginAccount
from domain.enums import OrderSide
from domain.order_fsm import OrderStatus, reachable_statuses
from domain.orders import Order
from domain.positions import Fill, Position
from domain.values import Money, unpack_currency

_REACHABLE = reachable_statuses()


def _signed(fill: Fill) -> int:
    return fill.last_qty_raw if fill.side == OrderSide.BUY else -fill.last_qty_raw


def order_fill_within_quantity(order: Order) -> str | None:
    """An order never fills more than its quantity: ``0 <= filled_qty <= quantity``."""
    if not 0 <= order.filled_raw <= order.quantity_raw:
        return (
            f"order {order.client_order_id}: filled raw {order.filled_raw} outside "
            f"0..quantity raw {order.quantity_raw}"
        )
    return None


def order_status_reachable(order: Order) -> str | None:
    """An order's status is reachable from INITIALIZED along the state machine table, and
    agrees with its fills: FILLED exactly when ``leaves_qty == 0``; INITIALIZED / SUBMITTED /
    DENIED hold nothing filled (REJECTED may: a modify of a partly filled order can be).
    """
    status = order.status
    coid = order.client_order_id
    if status not in _REACHABLE:
        return f"order {coid}: status {status.name} is not reachable from INITIALIZED"
    full = order.filled_raw == order.quantity_raw
    if (status == OrderStatus.FILLED) != full:
        return (
            f"order {coid}: status {status.name} with filled raw {order.filled_raw} of "
            f"quantity raw {order.quantity_raw}"
        )
    unfilled = (OrderStatus.INITIALIZED, OrderStatus.SUBMITTED, OrderStatus.DENIED)
    if status in unfilled and order.filled_raw:
        return f"order {coid}: status {status.name} but filled raw {order.filled_raw}"
    if status == OrderStatus.PARTIALLY_FILLED and order.filled_raw == 0:
        return f"order {coid}: PARTIALLY_FILLED with nothing filled"
    return None


def position_matches_fills(position: Position, fills: Iterable[Fill]) -> str | None:
    """A netting position's signed quantity equals the signed sum of all its fills (across
    flips and re-openings), and its peak is at least its current size."""
    expected = sum(_signed(f) for f in fills)
    if position.signed_raw != expected:
        return (
            f"position {position.position_id}: signed qty raw {position.signed_raw} != "
            f"signed sum of fills raw {expected}"
        )
    if position.peak_raw < abs(position.signed_raw):
        return f"position {position.position_id}: peak raw {position.peak_raw} below its size"
    return None


def position_cash_conserved(position: Position, fills: Iterable[Fill]) -> str | None:
    """Money is conserved: the sum of the fills' settlement cash flows equals the gross PnL the
    position realized over its life plus its open cost, to the last raw unit; a flat position
    has no open cost."""
    inst = position.instrument
    flows = sum(inst.cash_flow_raw(f.side, f.last_qty_raw, f.last_px_raw) for f in fills)
    held = position.lifetime_realized_raw + position.open_cost_raw
    if flows != held:
        return (
            f"position {position.position_id}: cash flows raw {flows} != lifetime realized raw "
            f"{position.lifetime_realized_raw} + open cost raw {position.open_cost_raw}"
        )
    if position.signed_raw == 0 and position.open_cost_raw != 0:
        return f"position {position.position_id}: flat with open cost raw {position.open_cost_raw}"
    return None


def balance_reconciles(
    account: CashAccount | MarginAccount, starting: Iterable[Money], fills: Sequence[Fill]
) -> str | None:
    """Realized PnL and commissions reconcile with the change in each balance.

    The fills are folded into fresh positions (one per instrument, strategy and position id).
    Margin account: ``total - starting == realized gross PnL - commissions`` per currency. Cash
    account: the same plus the open cost of the positions (the cash still tied up in them).
    """
    positions: dict[tuple[str, int, int], Position] = {}
    expected: dict[int, int] = {}
    for money in starting:
        code = money.currency.packed
        expected[code] = expected.get(code, 0) + money.raw
    for f in fills:
        key = (str(f.instrument.id), f.strategy_id, f.position_id)
        pos = positions.get(key)
        if pos is None:
            pos = positions[key] = Position(f.instrument, f.position_id, 0, f.strategy_id)
        pos.apply_fill(f.side, f.last_qty_raw, f.last_px_raw, f.commission_raw,
                       f.commission_currency, f.ts_event)
        settle = f.instrument.settlement_currency.packed
        ccy = f.commission_currency or settle
        expected[ccy] = expected.get(ccy, 0) - f.commission_raw
    cash = isinstance(account, CashAccount)
    for key in sorted(positions):
        pos = positions[key]
        settle = pos.instrument.settlement_currency.packed
        delta = pos.lifetime_realized_raw + (pos.open_cost_raw if cash else 0)
        expected[settle] = expected.get(settle, 0) + delta
    for currency in account.currencies():
        code = currency.packed
        expected.setdefault(code, 0)
    for code in sorted(expected):
        actual = account.total_raw(code)
        if actual != expected[code]:
            name = unpack_currency(code)
            return (
                f"account {account.account_id}: {name} balance raw {actual} != starting + "
                f"realized PnL - commissions{' + open cost' if cash else ''} = raw {expected[code]}"
            )
    return None
