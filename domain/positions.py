"""Positions: signed quantity, average prices and PnL, folded from fills in O(1) per fill.

Design contract:
- a :class:`Position` holds the state of one position id; the engine keys positions by
  (instrument, strategy) for netting or by position id for hedging; the maths here is the same;
- money is exact: each fill's cash flow is rounded once (:meth:`Instrument.cash_flow_raw`), the
  open cost is kept as a signed raw amount and a partial close removes its proportional share
  (rounded half away from zero), so ``sum(cash flows) == realized (gross) + open cost`` holds to
  the last unit at every step (checked by :func:`domain.invariants.position_cash_conserved`);
- realized PnL is in the settlement currency and includes the commissions charged in it;
  commissions in other currencies are kept per currency and are not converted;
- flip rule: a fill larger than the open quantity, on the other side, is split in two at the
  fill price: the first part (exactly the open quantity) closes the position, the rest opens a
  new one in the opposite direction. The commission is split pro rata (closing share rounded
  half away from zero, the rest to the new position). :meth:`apply_fill` returns ``FLIPPED`` and
  :attr:`Position.closed_fields` holds the final state of the closed position, so the engine
  emits POSITION_CLOSED (those fields) then POSITION_OPENED (:meth:`Position.to_fields`);
- a fill on a flat position starts a new cycle: realized PnL, commissions, average prices and
  the peak quantity restart, ``ts_opened`` is the fill's time.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import attrs

from domain.enums import OrderSide, PositionSide
from domain.instruments import Instrument, div_round
from domain.values import Money, Quantity

_BUY, _SELL = int(OrderSide.BUY), int(OrderSide.SELL)
_FLAT, _LONG, _SHORT = int(PositionSide.FLAT), int(PositionSide.LONG), int(PositionSide.SHORT)


#: The payload fields of a POSITION_* record, in the order of :meth:`Position.field_values`.
POSITION_FIELD_NAMES = (
    "position_id", "instrument_id", "strategy_id", "side", "size_precision", "currency",
    "signed_qty", "avg_px_open", "avg_px_close", "realized_pnl", "opening_order_id",
    "last_trade_id", "ts_opened",
)


class PositionEffect(IntEnum):
    """What a fill did to a position; the engine emits the matching POSITION_* events."""

    OPENED = 1  # POSITION_OPENED
    CHANGED = 2  # POSITION_CHANGED
    CLOSED = 3  # POSITION_CLOSED
    FLIPPED = 4  # POSITION_CLOSED (closed_fields) then POSITION_OPENED


#: The effects :meth:`Position.apply_fill` returns, read per fill as module globals (an enum
#: class attribute costs ~70 ns a read); the same members.
_OPENED, _CHANGED = PositionEffect.OPENED, PositionEffect.CHANGED
_CLOSED, _FLIPPED = PositionEffect.CLOSED, PositionEffect.FLIPPED


class PositionError(ValueError):
    """A fill that cannot apply to a position (non-positive quantity, bad side)."""


@attrs.frozen
class Fill:
    """One fill as the invariants see it (raw ints at the instrument's precisions)."""

    instrument: Instrument
    strategy_id: int
    position_id: int
    side: OrderSide
    last_qty_raw: int
    last_px_raw: int
    commission_raw: int = 0
    commission_currency: int = 0  # packed currency code; 0 means the settlement currency
    ts_event: int = 0


class Position:
    """One position's state: raw ints inside, floats only for the average prices."""

    __slots__ = (
        "instrument", "position_id", "instrument_id", "strategy_id", "signed_raw",
        "open_cost_raw", "realized_gross_raw", "_commissions", "avg_px_open", "avg_px_close",
        "_closed_raw", "peak_raw", "ts_opened", "ts_closed", "ts_last", "opening_order_id",
        "last_trade_id", "n_fills", "fill_realized_raw", "fill_cash_flow_raw", "closed_fields",
        "_settle", "lifetime_realized_raw", "_px_scale",
    )

    def __init__(
        self, instrument: Instrument, position_id: int = 0, instrument_id: int = 0,
        strategy_id: int = 0,
    ) -> None:
        self.instrument = instrument
        self.position_id = position_id
        self.instrument_id = instrument_id
        self.strategy_id = strategy_id
        self._settle = instrument.settlement_code
        self._px_scale = 10**instrument.price_precision
        self.fill_realized_raw = 0
        self.fill_cash_flow_raw = 0
        self.lifetime_realized_raw = 0  # gross, across cycles: for the cash invariant
        self.last_trade_id = 0
        self.closed_fields: dict[str, Any] | None = None
        self.n_fills = 0
        self.ts_closed = 0
        self.ts_last = 0
        self._reset(0, 0)

    def _reset(self, ts: int, client_order_id: int) -> None:
        self.signed_raw = 0
        self.open_cost_raw = 0
        self.realized_gross_raw = 0
        self._commissions: dict[int, int] = {}
        self.avg_px_open = 0.0
        self.avg_px_close = 0.0
        self._closed_raw = 0
        self.peak_raw = 0
        self.ts_opened = ts
        self.opening_order_id = client_order_id

    # --- accessors ------------------------------------------------------------------------------
    @property
    def side(self) -> PositionSide:
        s = self.signed_raw
        return PositionSide.LONG if s > 0 else PositionSide.SHORT if s < 0 else PositionSide.FLAT

    @property
    def quantity(self) -> Quantity:
        return Quantity(abs(self.signed_raw), self.instrument.size_precision)

    @property
    def peak_qty(self) -> Quantity:
        return Quantity(self.peak_raw, self.instrument.size_precision)

    @property
    def is_open(self) -> bool:
        return self.signed_raw != 0

    @property
    def realized_pnl_raw(self) -> int:
        """Realized PnL of the current cycle, minus the commissions in the settlement currency."""
        return self.realized_gross_raw - self._commissions.get(self._settle, 0)

    @property
    def realized_pnl(self) -> Money:
        return Money(self.realized_pnl_raw, self.instrument.settlement_currency)

    def commissions(self) -> dict[int, int]:
        """Returns this cycle's commission raw per packed currency code, ascending by code."""
        return {c: self._commissions[c] for c in sorted(self._commissions)}

    def unrealized_pnl_raw(self, mark_px_raw: int) -> int:
        """Returns the PnL of closing the open quantity at ``mark_px_raw`` (no commission)."""
        q = self.signed_raw
        if q == 0:
            return 0
        close_side = OrderSide.SELL if q > 0 else OrderSide.BUY
        return self.open_cost_raw + self.instrument.cash_flow_raw(close_side, abs(q), mark_px_raw)

    def unrealized_pnl(self, mark_px_raw: int) -> Money:
        return Money(self.unrealized_pnl_raw(mark_px_raw), self.instrument.settlement_currency)

    def notional_raw(self, mark_px_raw: int) -> int:
        """Returns the absolute notional of the open quantity at ``mark_px_raw`` (raw money)."""
        return self.instrument.notional_raw(abs(self.signed_raw), mark_px_raw)

    @property
    def duration_ns(self) -> int:
        """Time open: until ``ts_closed`` when flat, else until the last fill."""
        end = self.ts_last if self.signed_raw else self.ts_closed
        return max(0, end - self.ts_opened)

    # --- applying fills -------------------------------------------------------------------------
    def apply_fill(
        self, side: int, last_qty_raw: int, last_px_raw: int, commission_raw: int = 0,
        commission_currency: int = 0, ts: int = 0, client_order_id: int = 0, trade_id: int = 0,
    ) -> PositionEffect:
        """Applies one fill (raw ints at the instrument's precisions); returns its effect.

        ``commission_currency`` is a packed code, 0 for the settlement currency. Afterwards
        :attr:`fill_realized_raw` holds the gross PnL this fill realized (across a flip, the
        closing part's) and :attr:`fill_cash_flow_raw` its settlement cash flow.
        """
        if last_qty_raw <= 0:
            raise PositionError(
                f"position {self.position_id}: last_qty must be positive, got raw {last_qty_raw}"
            )
        if side == _BUY:
            sign = 1
        elif side == _SELL:
            sign = -1
        else:
            raise PositionError(f"position {self.position_id}: side must be BUY or SELL, got {side}")
        ccy = commission_currency or self._settle
        inst = self.instrument
        flow = inst.cash_flow_raw(side, last_qty_raw, last_px_raw)
        self.fill_cash_flow_raw = flow
        self.fill_realized_raw = 0
        self.closed_fields = None
        self.n_fills += 1
        self.ts_last = ts
        self.last_trade_id = trade_id
        held = self.signed_raw
        if held == 0:
            self._reset(ts, client_order_id)
            self._open(sign * last_qty_raw, last_px_raw, flow, commission_raw, ccy)
            return _OPENED
        if (held > 0) == (sign > 0):
            self._open(sign * last_qty_raw, last_px_raw, flow, commission_raw, ccy)
            return _CHANGED
        open_qty = abs(held)
        if last_qty_raw <= open_qty:
            self._close(last_qty_raw, last_px_raw, flow, commission_raw, ccy)
            if self.signed_raw == 0:
                self.ts_closed = ts
                return _CLOSED
            return _CHANGED
        close_flow = inst.cash_flow_raw(side, open_qty, last_px_raw)
        close_commission = div_round(commission_raw * open_qty, last_qty_raw)
        self._close(open_qty, last_px_raw, close_flow, close_commission, ccy)
        self.ts_closed = ts
        self.closed_fields = self.to_fields()
        self._reset(ts, client_order_id)
        self._open(
            sign * (last_qty_raw - open_qty), last_px_raw, flow - close_flow,
            commission_raw - close_commission, ccy,
        )
        return _FLIPPED

    def _commission(self, raw: int, ccy: int) -> None:
        if raw:
            self._commissions[ccy] = self._commissions.get(ccy, 0) + raw

    def _open(self, signed_qty: int, px_raw: int, flow: int, commission: int, ccy: int) -> None:
        q_old, q_add = abs(self.signed_raw), abs(signed_qty)
        px = px_raw / self._px_scale
        if q_old == 0:
            self.avg_px_open = px
        elif self.instrument.is_inverse:  # harmonic mean: inverse notional is qty / price
            self.avg_px_open = (q_old + q_add) / (q_old / self.avg_px_open + q_add / px)
        else:
            self.avg_px_open = (self.avg_px_open * q_old + px * q_add) / (q_old + q_add)
        self.signed_raw += signed_qty
        self.open_cost_raw += flow
        self.peak_raw = max(self.peak_raw, abs(self.signed_raw))
        self._commission(commission, ccy)

    def _close(self, qty_raw: int, px_raw: int, flow: int, commission: int, ccy: int) -> None:
        open_qty = abs(self.signed_raw)
        removed = div_round(self.open_cost_raw * qty_raw, open_qty)
        realized = flow + removed
        self.open_cost_raw -= removed
        self.realized_gross_raw += realized
        self.fill_realized_raw += realized
        self.lifetime_realized_raw += realized
        px = px_raw / self._px_scale
        c_old = self._closed_raw
        if c_old == 0:
            self.avg_px_close = px
        elif self.instrument.is_inverse:
            self.avg_px_close = (c_old + qty_raw) / (c_old / self.avg_px_close + qty_raw / px)
        else:
            self.avg_px_close = (self.avg_px_close * c_old + px * qty_raw) / (c_old + qty_raw)
        self._closed_raw = c_old + qty_raw
        self.signed_raw += qty_raw if self.signed_raw < 0 else -qty_raw
        self._commission(commission, ccy)

    # --- record fields ---------------------------------------------------------------------------
    def to_fields(self) -> dict[str, Any]:
        """Returns the payload of a POSITION_* record for the current state (raw values)."""
        return dict(zip(POSITION_FIELD_NAMES, self.field_values(), strict=True))

    def field_values(self) -> tuple[Any, ...]:
        """Returns :meth:`to_fields`' values in :data:`POSITION_FIELD_NAMES` order (hot path)."""
        return (
            # The side as its raw code: building the PositionSide member first costs ~0.3 µs.
            self.position_id, self.instrument_id, self.strategy_id,
            _LONG if self.signed_raw > 0 else _SHORT if self.signed_raw < 0 else _FLAT,
            self.instrument.size_precision, self._settle, self.signed_raw, self.avg_px_open,
            self.avg_px_close, self.realized_pnl_raw, self.opening_order_id, self.last_trade_id,
            self.ts_opened,
        )

    def __repr__(self) -> str:
        return (
            f"Position({self.position_id}, {self.instrument.id}, {self.side.name} "
            f"{self.quantity}, realized {self.realized_pnl})"
        )
