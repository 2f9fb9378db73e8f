"""Orders: the mutable state an engine's cache folds from ORDER_* events, and order specs.

Design contract:
- an :class:`Order` is created from the fields of an ORDER_INITIALIZED record (a mapping, or the
  decoded tuple by :meth:`Order.from_record`, with the same result and errors) and changed only
  by the event methods of :class:`domain.order_events.OrderEvents` (``apply``, ``apply_record``,
  the hot-path ``apply_fill``); every status change goes through
  :func:`domain.order_fsm.next_status`, so an illegal event raises ``InvalidTransition``;
- a fill that would take ``filled_qty`` past ``quantity`` raises :class:`OverfillError` and leaves
  the order unchanged (an invariant violation: the kernel stops);
- state is kept in raw ints at the order's precisions; a fill costs O(1) whatever the order's
  history (the average price is a running ``sum(px * qty)``, not a list of fills);
- :class:`OrderSpec` is what a strategy's order factory builds; it holds no ids and no state
  (defined in :mod:`domain.order_specs`, re-exported here, as are the event errors).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

from domain.codec import RAW_TUPLES
from domain.enums import ContingencyType, OrderOption, OrderSide, OrderType, TimeInForce
from domain.kinds import Kind
from domain.order_events import OrderEvents, OrderFieldError, OverfillError
from domain.order_fsm import CLOSED_STATUSES, INFLIGHT_STATUSES, OPEN_STATUSES, OrderStatus
from domain.order_specs import OrderList, OrderSpec, OrderSpecError
from domain.schema import NULL_I64
from domain.values import Price, Quantity

# Enum members by raw value: a dict lookup instead of ``EnumClass(value)`` (~0.5 µs each, five per
# ORDER_INITIALIZED); a value not in the table goes through the class, which raises as before.
_MEMBERS: dict[type, dict[int, Any]] = {
    cls: {int(m): m for m in cls}
    for cls in (OrderSide, OrderType, TimeInForce, OrderOption, ContingencyType)
}
_POST_ONLY, _REDUCE_ONLY = int(OrderOption.POST_ONLY), int(OrderOption.REDUCE_ONLY)
#: Read per order (module globals: an enum class attribute costs ~70 ns a read).
_ST_INITIALIZED = OrderStatus.INITIALIZED


def _member(cls: type, value: int) -> Any:
    table = _MEMBERS[cls]
    member = table.get(value)
    if member is None:
        member = cls(value)
        if type(value) is int:
            table[value] = member  # e.g. an OrderOption combination
    return member


#: ORDER_INITIALIZED's fields in record order (``Order.from_record`` unpacks them by position).
_INITIALIZED_FIELDS = (
    "seq", "ts_event", "ts_init", "cause", "kind", "flags", "source", "client_order_id",
    "instrument_id", "strategy_id", "order_type", "side", "time_in_force", "options",
    "contingency", "price_precision", "size_precision", "quantity", "price", "trigger_price",
    "expire_time_ns", "order_list_id", "linked_order_id", "parent_order_id",
)
if RAW_TUPLES[int(Kind.ORDER_INITIALIZED)]._fields != _INITIALIZED_FIELDS:
    raise RuntimeError("ORDER_INITIALIZED fields changed: "
                       f"{RAW_TUPLES[int(Kind.ORDER_INITIALIZED)]._fields}")
_MEMBER_CLASSES = (OrderSide, OrderType, TimeInForce, OrderOption, ContingencyType)
_MEMBER_SETS: dict[tuple[int, ...], tuple[Any, ...]] = {}


def _member_set(values: tuple[int, ...]) -> tuple[Any, ...]:
    """Returns the members of (side, order type, time in force, options, contingency), checked
    one by one in that order (an invalid value raises the class's ValueError, nothing is kept)."""
    members = tuple(_member(cls, v) for cls, v in zip(_MEMBER_CLASSES, values, strict=True))
    if all(type(v) is int for v in values):
        _MEMBER_SETS[values] = members
    return members


class Order(OrderEvents):
    """One order's state. Raw ints inside; Price / Quantity objects only from accessors."""

    __slots__ = (
        "_coid", "instrument_id", "strategy_id", "side", "order_type", "time_in_force",
        "options", "contingency", "price_precision", "size_precision", "quantity_raw",
        "price_raw", "trigger_price_raw", "expire_time_ns", "order_list_id", "linked_order_id",
        "parent_order_id", "status", "_before_pending", "filled_raw", "_px_qty_sum",
        "venue_order_id", "account_id", "position_id", "last_trade_id", "ts_init", "ts_last",
        "n_fills", "_commissions", "reason_id", "trailing", "emulation_trigger", "released",
        "reason_args",
    )

    def __init__(self, fields: Mapping[str, Any], ts_init: int = 0) -> None:
        """Builds the order from ORDER_INITIALIZED fields (raw values, names as in kinds)."""
        f = fields
        self._init(
            int(f["client_order_id"]), int(f["instrument_id"]), int(f["strategy_id"]),
            f["side"], f["order_type"], f["time_in_force"], f["options"], f["contingency"],
            int(f["price_precision"]), int(f["size_precision"]), int(f["quantity"]),
            int(f["price"]), int(f["trigger_price"]), int(f["expire_time_ns"]),
            int(f["order_list_id"]), int(f["linked_order_id"]), int(f["parent_order_id"]),
            int(f.get("ts_init", ts_init)),
        )

    @classmethod
    def from_record(cls, rec: Any) -> Order:
        """Builds the order from a decoded ORDER_INITIALIZED tuple: the cache's path, read as
        attributes (no dict of the record). Same result and errors as ``Order(rec._asdict())``."""
        order = cls.__new__(cls)
        # the fields by position, in one unpack (the record's layout is checked at import)
        (_, _, ts_init, _, _, _, _, coid, iid, sid, order_type, side, tif, options, contingency,
         price_precision, size_precision, quantity, price, trigger_price, expire_time_ns,
         order_list_id, linked_order_id, parent_order_id) = rec
        order._init(
            coid, iid, sid, side, order_type, tif, options, contingency, price_precision,
            size_precision, quantity, price, trigger_price, expire_time_ns, order_list_id,
            linked_order_id, parent_order_id, ts_init,
        )
        return order

    def _init(
        self, coid: int, instrument_id: int, strategy_id: int, side: int, order_type: int,
        time_in_force: int, options: int, contingency: int, price_precision: int,
        size_precision: int, quantity_raw: int, price_raw: int, trigger_price_raw: int,
        expire_time_ns: int, order_list_id: int, linked_order_id: int, parent_order_id: int,
        ts_init: int,
    ) -> None:
        self._coid = coid
        self.instrument_id = instrument_id
        self.strategy_id = strategy_id
        # One lookup for the five members: a run uses a handful of combinations.
        key = (side, order_type, time_in_force, options, contingency)
        members = _MEMBER_SETS.get(key)
        if members is None:
            members = _member_set(key)
        self.side, self.order_type, self.time_in_force, self.options, self.contingency = members
        if quantity_raw <= 0:
            raise OrderFieldError(
                f"order {coid}: quantity must be positive, got raw {quantity_raw}"
            )
        self.price_precision = price_precision
        self.size_precision = size_precision
        self.quantity_raw = quantity_raw
        self.price_raw = None if price_raw == NULL_I64 else price_raw  # ``opt_raw``, inline
        self.trigger_price_raw = None if trigger_price_raw == NULL_I64 else trigger_price_raw
        self.expire_time_ns = expire_time_ns
        self.order_list_id = order_list_id
        self.linked_order_id = linked_order_id
        self.parent_order_id = parent_order_id
        self.status = _ST_INITIALIZED
        self._before_pending = _ST_INITIALIZED
        self.filled_raw = 0
        self._px_qty_sum = 0
        self.venue_order_id = 0
        self.account_id = 0
        self.position_id = 0
        self.last_trade_id = 0
        self.ts_init = ts_init
        self.ts_last = ts_init
        self.n_fills = 0
        self._commissions: dict[int, int] = {}
        self.reason_id = 0
        #: (raw, precision) numbers of the last REASON_ARGS naming this order (its reason's
        #: template ``{0}``... placeholders: engines/reasons.py); None for none.
        self.reason_args: tuple[tuple[int, int], ...] | None = None
        #: (trailing_offset_type, trigger_type, trailing_offset, limit_offset) from the
        #: TRAILING_OFFSETS record of a trailing stop; None for other orders.
        self.trailing: tuple[int, int, int, int] | None = None
        #: The TriggerType the kernel's emulator triggers it from (ORDER_EMULATED), else None;
        #: ``released`` once the emulator released it (ORDER_RELEASED) to be submitted.
        self.emulation_trigger: int | None = None
        self.released = False

    # --- accessors ------------------------------------------------------------------------------
    #: The client order id (u8: strategy index << 40 | per-strategy counter), read-only; a
    #: C-level getter (read several times per record on the order path).
    client_order_id = property(operator.attrgetter("_coid"))

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
    def is_held_in_kernel(self) -> bool:
        """True while the kernel holds the order unsent: an OTO child before its release (order
        manager) or an emulated order before its trigger (emulator)."""
        return self.status == OrderStatus.INITIALIZED and (
            bool(self.parent_order_id) or (self.emulation_trigger is not None
                                           and not self.released))

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


__all__ = [
    "Order",
    "OrderFieldError",
    "OrderList",
    "OrderSpec",
    "OrderSpecError",
    "OrderStatus",
    "OverfillError",
]
