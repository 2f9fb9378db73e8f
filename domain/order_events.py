"""How ORDER_* events change an order: the event half of :class:`domain.orders.Order`.

Design contract:
- :class:`OrderEvents` is the base of ``Order``: it holds no state of its own and only the
  methods that apply events; every status change goes through
  :func:`domain.order_fsm.next_status`, so an illegal event raises ``InvalidTransition``;
- on any error (InvalidTransition, :class:`OverfillError`, :class:`OrderFieldError`) the order
  is left unchanged: every check runs before the first assignment;
- ``apply(kind, fields)`` (a mapping of record fields) and ``apply_record(rec)`` (a decoded
  record tuple) give the same result and the same errors; the record path is the cache's hot
  path (measured by ``perf/backtest_run.py --only ema_cross``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from domain.codec import RAW_TUPLES
from domain.kinds import Kind
from domain.order_fsm import PENDING_STATUSES, TRANSITIONS, OrderStatus, next_status
from domain.schema import NULL_I64


class OverfillError(Exception):
    """A fill would take an order's filled quantity past its quantity (invariant violation)."""


class OrderFieldError(ValueError):
    """An order event whose fields disagree with the order (precision, quantity)."""


def opt_raw(raw: int) -> int | None:
    """Returns None for the schema's null i64 (no price), else ``raw``."""
    return None if raw == NULL_I64 else raw


_SUBMITTED, _FILLED = int(Kind.ORDER_SUBMITTED), int(Kind.ORDER_FILLED)
#: The state machine's table (read, never changed: ``next_status`` decides with it too).
_TRANSITIONS = TRANSITIONS


class OrderEvents:
    """Event application for :class:`domain.orders.Order` (which declares the state slots)."""

    __slots__ = ()

    _coid: int
    side: Any
    status: OrderStatus
    _before_pending: OrderStatus
    emulation_trigger: int | None
    released: bool
    price_precision: int
    size_precision: int
    quantity_raw: int
    price_raw: int | None
    trigger_price_raw: int | None
    filled_raw: int
    _px_qty_sum: int
    venue_order_id: int
    account_id: int
    position_id: int
    last_trade_id: int
    ts_last: int
    n_fills: int
    _commissions: dict[int, int]
    reason_id: int

    def _move(self, kind: int, seq: int, fully_filled: bool = False) -> OrderStatus:
        return next_status(
            self.status, kind, fully_filled=fully_filled, previous=self._before_pending,
            client_order_id=self._coid, seq=seq,
        )

    def _set_status(self, new: OrderStatus) -> None:
        if new in PENDING_STATUSES and self.status not in PENDING_STATUSES:
            self._before_pending = self.status
        self.status = new

    def apply(self, kind: int, fields: Mapping[str, Any]) -> None:
        """Applies one ORDER_* event given by its kind code and record fields.

        Raises InvalidTransition (state machine), OverfillError or OrderFieldError; on any error
        the order is left unchanged.
        """
        handler = _BY_FIELDS.get(kind)
        seq = int(fields.get("seq", 0))
        if handler is None:
            self._move(kind, seq)  # raises InvalidTransition: no row for this kind
            return
        handler(self, kind, fields, seq)
        self.ts_last = int(fields.get("ts_event", self.ts_last))

    def apply_record(self, rec: Any) -> None:
        """As :meth:`apply` for a decoded record tuple (fields read as attributes, no dict): the
        cache's path. Same checks, errors and result as ``apply(rec.kind, rec._asdict())``."""
        kind = rec.kind
        if kind == _FILLED:
            self._filled(
                rec.seq, rec.price_precision, rec.size_precision, rec.side, rec.last_qty,
                rec.last_px, rec.commission, rec.commission_currency, rec.trade_id,
                rec.ts_event, rec.venue_order_id, rec.position_id, rec.account_id,
            )
        else:
            carries = _SIMPLE_CARRIES.get(kind)
            if carries is None:  # ORDER_UPDATED (rare) and kinds with no row: the dict path
                self.apply(kind, rec._asdict())
                return
            # Which optional fields the kind's record has, from the schema: a missing attribute
            # looked up with getattr(rec, name, 0) raises and catches an AttributeError (~1 µs).
            venue, reason = carries
            status = self.status
            new = _TRANSITIONS.get((status, kind))
            if new is None or new.__class__ is not OrderStatus:
                # no row (raises InvalidTransition) or a target to resolve: the general path
                self._simple(kind, rec.seq, rec.venue_order_id if venue else 0,
                             rec.account_id if kind == _SUBMITTED else 0,
                             rec.reason_id if reason else 0)
            else:  # :meth:`_simple` inline, its status change a plain row of the table
                if new in PENDING_STATUSES and status not in PENDING_STATUSES:
                    self._before_pending = status
                self.status = new
                if venue and rec.venue_order_id:
                    self.venue_order_id = rec.venue_order_id
                if kind == _SUBMITTED:
                    self.account_id = rec.account_id
                if reason and rec.reason_id:
                    self.reason_id = rec.reason_id
        self.ts_last = rec.ts_event

    def _on_emulated(self, kind: int, f: Mapping[str, Any], seq: int) -> None:
        self._set_status(self._move(kind, seq))
        self.emulation_trigger = int(f["trigger_type"])

    def _on_released(self, kind: int, f: Mapping[str, Any], seq: int) -> None:
        self._set_status(self._held_move(kind, seq))
        self.released = True

    def _on_armed(self, kind: int, f: Mapping[str, Any], seq: int) -> None:
        self._set_status(self._held_move(kind, seq))

    def _held_move(self, kind: int, seq: int) -> Any:
        """The status after ``kind`` (ORDER_RELEASED / ORDER_ARMED): only for an emulated order
        not released yet."""
        new = self._move(kind, seq)
        if self.emulation_trigger is None or self.released:
            raise OrderFieldError(
                f"order {self._coid}: {Kind(kind).name} at seq {seq} of an order that is not "
                f"held by the emulator (emulated: {self.emulation_trigger is not None}, "
                f"released: {self.released})")
        return new

    def apply_fill(
        self, last_qty_raw: int, last_px_raw: int, commission_raw: int = 0,
        commission_currency: int = 0, trade_id: int = 0, ts_event: int = 0, seq: int = 0,
    ) -> None:
        """Applies a fill (hot path); quantities and prices are raw at the order's precisions."""
        if last_qty_raw <= 0:
            raise OrderFieldError(
                f"order {self._coid}: fill last_qty must be positive, got raw {last_qty_raw}"
                + (f" at seq {seq}" if seq else "")
            )
        filled = self.filled_raw + last_qty_raw
        if filled > self.quantity_raw:
            raise OverfillError(
                f"order {self._coid}: fill of raw {last_qty_raw} takes filled_qty to raw {filled}"
                f", above quantity raw {self.quantity_raw}" + (f" at seq {seq}" if seq else "")
            )
        new = self._move(_FILLED, seq, fully_filled=filled == self.quantity_raw)
        self._set_status(new)
        self.filled_raw = filled
        self._px_qty_sum += last_px_raw * last_qty_raw
        self.n_fills += 1
        if commission_raw:
            c = self._commissions
            c[commission_currency] = c.get(commission_currency, 0) + commission_raw
        if trade_id:
            self.last_trade_id = trade_id
        if ts_event:
            self.ts_last = ts_event

    def _on_filled(self, kind: int, f: Mapping[str, Any], seq: int) -> None:
        self._filled(
            seq, f["price_precision"], f["size_precision"], f["side"], int(f["last_qty"]),
            int(f["last_px"]), int(f["commission"]), int(f["commission_currency"]),
            int(f["trade_id"]), int(f.get("ts_event", 0)), int(f["venue_order_id"]),
            int(f["position_id"]), int(f["account_id"]),
        )

    def _filled(
        self, seq: int, price_precision: int, size_precision: int, side: int, last_qty: int,
        last_px: int, commission: int, commission_currency: int, trade_id: int, ts_event: int,
        venue_order_id: int, position_id: int, account_id: int,
    ) -> None:
        if size_precision != self.size_precision or price_precision != self.price_precision:
            raise OrderFieldError(
                f"order {self._coid}: fill precisions (price {price_precision}, size "
                f"{size_precision}) differ from the order's ({self.price_precision}, "
                f"{self.size_precision}) at seq {seq}"
            )
        if side != self.side:
            raise OrderFieldError(
                f"order {self._coid}: fill side {side} differs from the order's "
                f"{self.side.name} at seq {seq}"
            )
        self.apply_fill(last_qty, last_px, commission, commission_currency, trade_id, ts_event,
                        seq)
        self.venue_order_id = venue_order_id or self.venue_order_id
        self.position_id = position_id or self.position_id
        self.account_id = account_id or self.account_id

    def _on_updated(self, kind: int, f: Mapping[str, Any], seq: int) -> None:
        qty = int(f["quantity"])
        if qty <= self.filled_raw:  # the simulated venue rejects such a modify the same way
            raise OverfillError(
                f"order {self._coid}: updated quantity raw {qty} is not above filled_qty raw "
                f"{self.filled_raw} at seq {seq} (an order whose quantity equals its fills would "
                "stay open with nothing left to fill)"
            )
        new = self._move(kind, seq)
        self.quantity_raw = qty
        self.price_raw = opt_raw(int(f["price"]))
        self.trigger_price_raw = opt_raw(int(f["trigger_price"]))
        self.venue_order_id = int(f["venue_order_id"]) or self.venue_order_id
        self._set_status(new)

    def _on_simple(self, kind: int, f: Mapping[str, Any], seq: int) -> None:
        self._simple(kind, seq, int(f.get("venue_order_id", 0)),
                     int(f["account_id"]) if kind == _SUBMITTED else 0,
                     int(f.get("reason_id", 0)))

    def _simple(self, kind: int, seq: int, venue_order_id: int, account_id: int,
                reason_id: int) -> None:
        self._set_status(self._move(kind, seq))
        if venue_order_id:
            self.venue_order_id = venue_order_id
        if kind == _SUBMITTED:
            self.account_id = account_id
        if reason_id:
            self.reason_id = reason_id


_SIMPLE_KINDS = tuple(sorted(int(k) for k in (
    Kind.ORDER_DENIED, Kind.ORDER_SUBMITTED, Kind.ORDER_ACCEPTED, Kind.ORDER_REJECTED,
    Kind.ORDER_CANCELED, Kind.ORDER_EXPIRED, Kind.ORDER_TRIGGERED, Kind.ORDER_PENDING_UPDATE,
    Kind.ORDER_PENDING_CANCEL, Kind.ORDER_MODIFY_REJECTED, Kind.ORDER_CANCEL_REJECTED,
)))
#: Per simple kind: whether its record has a ``venue_order_id`` and a ``reason_id`` field.
_SIMPLE_CARRIES: dict[int, tuple[bool, bool]] = {
    k: ("venue_order_id" in RAW_TUPLES[k]._fields, "reason_id" in RAW_TUPLES[k]._fields)
    for k in _SIMPLE_KINDS
}
_ByFields = Callable[[OrderEvents, int, Mapping[str, Any], int], None]
_BY_FIELDS: dict[int, _ByFields] = {
    _FILLED: OrderEvents._on_filled,
    int(Kind.ORDER_UPDATED): OrderEvents._on_updated,
    int(Kind.ORDER_EMULATED): OrderEvents._on_emulated,
    int(Kind.ORDER_RELEASED): OrderEvents._on_released,
    int(Kind.ORDER_ARMED): OrderEvents._on_armed,
    **{k: OrderEvents._on_simple for k in _SIMPLE_KINDS},
}
