"""Orders: the mutable state an engine's cache folds from ORDER_* events, and order specs.

Design contract:
- an :class:`Order` is created from the fields of an ORDER_INITIALIZED record and changed only by
  :meth:`Order.apply` (or the hot-path :meth:`Order.apply_fill`); every status change goes through
  :func:`domain.order_fsm.next_status`, so an illegal event raises ``InvalidTransition``;
- a fill that would take ``filled_qty`` past ``quantity`` raises :class:`OverfillError` and leaves
  the order unchanged (an invariant violation: the kernel stops);
- state is kept in raw ints at the order's precisions; a fill costs O(1) whatever the order's
  history (the average price is a running ``sum(px * qty)``, not a list of fills);
- :class:`OrderSpec` is what a strategy's order factory builds; it holds no ids and no state
  (defined in :mod:`domain.order_specs`, re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from domain.enums import ContingencyType, OrderOption, OrderSide, OrderType, TimeInForce
from domain.kinds import Kind
from domain.order_fsm import (
    CLOSED_STATUSES,
    INFLIGHT_STATUSES,
    OPEN_STATUSES,
    PENDING_STATUSES,
    OrderStatus,
    next_status,
)
from domain.order_specs import OrderList, OrderSpec, OrderSpecError
from domain.schema import NULL_I64
from domain.values import Price, Quantity


class OverfillError(Exception):
    """A fill would take an order's filled quantity past its quantity (invariant violation)."""


class OrderFieldError(ValueError):
    """An order event whose fields disagree with the order (precision, quantity)."""


def _opt(raw: int) -> int | None:
    return None if raw == NULL_I64 else raw


# Enum members by raw value: a dict lookup instead of ``EnumClass(value)`` (~0.5 µs each, five per
# ORDER_INITIALIZED); a value not in the table goes through the class, which raises as before.
_MEMBERS: dict[type, dict[int, Any]] = {
    cls: {int(m): m for m in cls}
    for cls in (OrderSide, OrderType, TimeInForce, OrderOption, ContingencyType)
}
_POST_ONLY, _REDUCE_ONLY = int(OrderOption.POST_ONLY), int(OrderOption.REDUCE_ONLY)


def _member(cls: type, value: int) -> Any:
    table = _MEMBERS[cls]
    member = table.get(value)
    if member is None:
        member = cls(value)
        if type(value) is int:
            table[value] = member  # e.g. an OrderOption combination
    return member


class Order:
    """One order's state. Raw ints inside; Price / Quantity objects only from accessors."""

    __slots__ = (
        "_coid", "instrument_id", "strategy_id", "side", "order_type", "time_in_force",
        "options", "contingency", "price_precision", "size_precision", "quantity_raw",
        "price_raw", "trigger_price_raw", "expire_time_ns", "order_list_id", "linked_order_id",
        "parent_order_id", "status", "_before_pending", "filled_raw", "_px_qty_sum",
        "venue_order_id", "account_id", "position_id", "last_trade_id", "ts_init", "ts_last",
        "n_fills", "_commissions", "reason_id",
    )

    def __init__(self, fields: Mapping[str, Any], ts_init: int = 0) -> None:
        """Builds the order from ORDER_INITIALIZED fields (raw values, names as in kinds)."""
        self._coid = int(fields["client_order_id"])
        self.instrument_id = int(fields["instrument_id"])
        self.strategy_id = int(fields["strategy_id"])
        self.side = _member(OrderSide, fields["side"])
        self.order_type = _member(OrderType, fields["order_type"])
        self.time_in_force = _member(TimeInForce, fields["time_in_force"])
        self.options = _member(OrderOption, fields["options"])
        self.contingency = _member(ContingencyType, fields["contingency"])
        self.price_precision = int(fields["price_precision"])
        self.size_precision = int(fields["size_precision"])
        self.quantity_raw = int(fields["quantity"])
        if self.quantity_raw <= 0:
            raise OrderFieldError(
                f"order {self._coid}: quantity must be positive, got raw {self.quantity_raw}"
            )
        self.price_raw = _opt(int(fields["price"]))
        self.trigger_price_raw = _opt(int(fields["trigger_price"]))
        self.expire_time_ns = int(fields["expire_time_ns"])
        self.order_list_id = int(fields["order_list_id"])
        self.linked_order_id = int(fields["linked_order_id"])
        self.parent_order_id = int(fields["parent_order_id"])
        self.status = OrderStatus.INITIALIZED
        self._before_pending = OrderStatus.INITIALIZED
        self.filled_raw = 0
        self._px_qty_sum = 0
        self.venue_order_id = 0
        self.account_id = 0
        self.position_id = 0
        self.last_trade_id = 0
        self.ts_init = int(fields.get("ts_init", ts_init))
        self.ts_last = self.ts_init
        self.n_fills = 0
        self._commissions: dict[int, int] = {}
        self.reason_id = 0

    # --- accessors ------------------------------------------------------------------------------
    @property
    def client_order_id(self) -> int:
        """The client order id (u8: strategy index << 40 | per-strategy counter)."""
        return self._coid

    @property
    def quantity(self) -> Quantity:
        return Quantity(self.quantity_raw, self.size_precision)

    @property
    def filled_qty(self) -> Quantity:
        return Quantity(self.filled_raw, self.size_precision)

    @property
    def leaves_raw(self) -> int:
        return self.quantity_raw - self.filled_raw

    @property
    def leaves_qty(self) -> Quantity:
        return Quantity(self.quantity_raw - self.filled_raw, self.size_precision)

    @property
    def price(self) -> Price | None:
        return None if self.price_raw is None else Price(self.price_raw, self.price_precision)

    @property
    def trigger_price(self) -> Price | None:
        raw = self.trigger_price_raw
        return None if raw is None else Price(raw, self.price_precision)

    @property
    def avg_px(self) -> float:
        """Average fill price (0.0 before the first fill)."""
        if self.filled_raw == 0:
            return 0.0
        return self._px_qty_sum / self.filled_raw / 10**self.price_precision

    @property
    def is_post_only(self) -> bool:
        return bool(int(self.options) & _POST_ONLY)

    @property
    def is_reduce_only(self) -> bool:
        return bool(int(self.options) & _REDUCE_ONLY)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def is_inflight(self) -> bool:
        return self.status in INFLIGHT_STATUSES

    def commissions(self) -> dict[int, int]:
        """Returns total commission raw per packed currency code, in ascending code order."""
        return {c: self._commissions[c] for c in sorted(self._commissions)}

    def __repr__(self) -> str:
        return (
            f"Order({self._coid}, {self.side.name} {self.order_type.name} "
            f"{self.filled_qty}/{self.quantity} {self.status.name})"
        )

    # --- applying events ------------------------------------------------------------------------
    def _move(self, kind: int, seq: int, fully_filled: bool = False) -> OrderStatus:
        new = next_status(
            self.status, kind, fully_filled=fully_filled, previous=self._before_pending,
            client_order_id=self._coid, seq=seq,
        )
        return new

    def _set_status(self, new: OrderStatus) -> None:
        if new in PENDING_STATUSES and self.status not in PENDING_STATUSES:
            self._before_pending = self.status
        self.status = new

    def apply(self, kind: int, fields: Mapping[str, Any]) -> None:
        """Applies one ORDER_* event given by its kind code and record fields.

        Raises InvalidTransition (state machine), OverfillError or OrderFieldError; on any error
        the order is left unchanged.
        """
        handler = _HANDLERS.get(kind)
        seq = int(fields.get("seq", 0))
        if handler is None:
            self._move(kind, seq)  # raises InvalidTransition: no row for this kind
            return
        handler(self, kind, fields, seq)
        self.ts_last = int(fields.get("ts_event", self.ts_last))

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
        new = self._move(Kind.ORDER_FILLED, seq, fully_filled=filled == self.quantity_raw)
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
        if qty < self.filled_raw or qty <= 0:
            raise OverfillError(
                f"order {self._coid}: updated quantity raw {qty} is below filled_qty raw "
                f"{self.filled_raw} (or not positive) at seq {seq}"
            )
        new = self._move(kind, seq)
        self.quantity_raw = qty
        self.price_raw = _opt(int(f["price"]))
        self.trigger_price_raw = _opt(int(f["trigger_price"]))
        self.venue_order_id = int(f["venue_order_id"]) or self.venue_order_id
        self._set_status(new)

    def _on_simple(self, kind: int, f: Mapping[str, Any], seq: int) -> None:
        self._simple(kind, seq, int(f.get("venue_order_id", 0)),
                     int(f["account_id"]) if kind == Kind.ORDER_SUBMITTED else 0,
                     int(f.get("reason_id", 0)))

    def _simple(self, kind: int, seq: int, venue_order_id: int, account_id: int,
                reason_id: int) -> None:
        self._set_status(self._move(kind, seq))
        if venue_order_id:
            self.venue_order_id = venue_order_id
        if kind == Kind.ORDER_SUBMITTED:
            self.account_id = account_id
        if reason_id:
            self.reason_id = reason_id

    def apply_record(self, rec: Any) -> None:
        """As :meth:`apply` for a decoded record tuple (fields read as attributes, no dict): the
        cache's path. Same checks, errors and result as ``apply(rec.kind, rec._asdict())``."""
        kind = rec.kind
        if kind == Kind.ORDER_FILLED:
            self._filled(
                rec.seq, rec.price_precision, rec.size_precision, rec.side, rec.last_qty,
                rec.last_px, rec.commission, rec.commission_currency, rec.trade_id,
                rec.ts_event, rec.venue_order_id, rec.position_id, rec.account_id,
            )
        elif kind in _SIMPLE_KINDS:
            self._simple(kind, rec.seq, getattr(rec, "venue_order_id", 0),
                         rec.account_id if kind == Kind.ORDER_SUBMITTED else 0,
                         getattr(rec, "reason_id", 0))
        else:
            self.apply(kind, rec._asdict())
            return
        self.ts_last = rec.ts_event


_Handler = Callable[[Order, int, Mapping[str, Any], int], None]
_SIMPLE_KINDS = frozenset(int(k) for k in (
    Kind.ORDER_DENIED, Kind.ORDER_SUBMITTED, Kind.ORDER_ACCEPTED, Kind.ORDER_REJECTED,
    Kind.ORDER_CANCELED, Kind.ORDER_EXPIRED, Kind.ORDER_TRIGGERED, Kind.ORDER_PENDING_UPDATE,
    Kind.ORDER_PENDING_CANCEL, Kind.ORDER_MODIFY_REJECTED, Kind.ORDER_CANCEL_REJECTED,
))
_HANDLERS: dict[int, _Handler] = {
    int(Kind.ORDER_FILLED): Order._on_filled,
    int(Kind.ORDER_UPDATED): Order._on_updated,
    **{k: Order._on_simple for k in sorted(_SIMPLE_KINDS)},
}

__all__ = [
    "Order",
    "OrderFieldError",
    "OrderList",
    "OrderSpec",
    "OrderSpecError",
    "OrderStatus",
    "OverfillError",
]
