"""Order specs: what a strategy's order factory builds (no ids, no state), and bracket lists.

Design contract: an :class:`OrderSpec` checks its order type's rules at construction (raising
:class:`OrderSpecError`, naming the field); ``initialized_fields`` gives the raw fields of the
ORDER_INITIALIZED record for given ids. Re-exported by :mod:`domain.orders`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from domain.enums import (
    ContingencyType,
    OrderOption,
    OrderSide,
    OrderType,
    TimeInForce,
    TrailingOffsetType,
    TriggerType,
)
from domain.schema import NULL_I64
from domain.values import Price, Quantity

_POST_ONLY, _REDUCE_ONLY = int(OrderOption.POST_ONLY), int(OrderOption.REDUCE_ONLY)
_BUY_SIDE, _SELL_SIDE = OrderSide.BUY, OrderSide.SELL  # read per bracket (globals)
_SIDES = (_BUY_SIDE, _SELL_SIDE)
# Module constants: reading an enum member off its class costs ~0.1 us on Python 3.11, and
# a strategy builds a spec per order (perf/backtest_run.py ``ema_cross``).
_MARKET, _LIMIT, _GTD = OrderType.MARKET, OrderType.LIMIT, TimeInForce.GTD
_STOP_MARKET, _GTC = OrderType.STOP_MARKET, TimeInForce.GTC
_OTO, _OCO = ContingencyType.OTO, ContingencyType.OCO
_PRICE_OFFSET, _DEFAULT_TRIGGER = TrailingOffsetType.PRICE, TriggerType.DEFAULT
#: (needs a price, needs a trigger price) per order type; any other type needs neither.
_PRICES_NEEDED = {
    OrderType.LIMIT: (True, False),
    OrderType.STOP_MARKET: (False, True),
    OrderType.STOP_LIMIT: (True, True),
    OrderType.MARKET_IF_TOUCHED: (False, True),
    OrderType.LIMIT_IF_TOUCHED: (True, True),
}
_NO_PRICES = (False, False)
#: Trailing types: price and trigger may be given (the initial levels) or left to the venue,
#: which sets them from the market on arrival.
_TRAILING = frozenset((OrderType.TRAILING_STOP_MARKET, OrderType.TRAILING_STOP_LIMIT))
_TSL = OrderType.TRAILING_STOP_LIMIT
#: Order types the kernel's emulator can hold and trigger (engines/emulator.py).
_EMULABLE = _TRAILING | {OrderType.STOP_MARKET, OrderType.STOP_LIMIT,
                         OrderType.MARKET_IF_TOUCHED, OrderType.LIMIT_IF_TOUCHED}
#: The payload fields of ORDER_INITIALIZED, in the order ``initialized_values`` gives them.
INITIALIZED_NAMES = (
    "client_order_id", "instrument_id", "strategy_id", "order_type", "side", "time_in_force",
    "options", "contingency", "price_precision", "size_precision", "quantity", "price",
    "trigger_price", "expire_time_ns", "order_list_id", "linked_order_id", "parent_order_id",
)


class OrderSpecError(ValueError):
    """An order spec that breaks a rule of its order type; the message names the field."""


@attrs.frozen
class OrderSpec:
    """What a strategy asks for: an order without ids or state. Build with the factories.

    Rules checked at construction: quantity > 0; LIMIT / STOP_LIMIT / LIMIT_IF_TOUCHED need a
    price, STOP_* and *_IF_TOUCHED a trigger price, MARKET / STOP_MARKET / MARKET_TO_LIMIT /
    MARKET_IF_TOUCHED no price; GTD needs expire_time_ns > 0;
    post_only only on LIMIT orders. TRAILING_STOP_MARKET / TRAILING_STOP_LIMIT need
    ``trailing_offset`` > 0 (a stop-limit also ``limit_offset`` > 0; in ``trailing_offset_type``
    units: raw price, hundredths of a basis point, or ticks); their trigger (and a stop-limit's
    price) is optional, a stop-market has no price; other types have zero offsets.
    ``emulation_trigger`` (a TriggerType; None: the venue holds the order) only on orders with a
    trigger: the kernel's emulator then holds the order and submits it once triggered.
    """

    side: OrderSide
    order_type: OrderType
    quantity: Quantity
    price: Price | None = None
    trigger_price: Price | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    expire_time_ns: int = 0
    post_only: bool = False
    reduce_only: bool = False
    contingency: ContingencyType = ContingencyType.NO_CONTINGENCY
    trailing_offset: int = 0
    limit_offset: int = 0
    trailing_offset_type: TrailingOffsetType = TrailingOffsetType.PRICE
    trigger_type: TriggerType = TriggerType.DEFAULT
    emulation_trigger: TriggerType | None = None

    def __attrs_post_init__(self) -> None:
        # One table lookup per rule instead of enum comparisons: a strategy builds a spec per
        # order (perf/backtest_run.py ``ema_cross``); the checks and their order are the same.
        t = self.order_type
        if self.side not in _SIDES:
            raise OrderSpecError(f"side must be BUY or SELL, got {self.side!r}")
        if self.quantity.raw <= 0:
            raise OrderSpecError(f"quantity must be positive, got {self.quantity}")
        trailing = t in _TRAILING
        if trailing:
            self._check_trailing(t)
        elif self.trailing_offset or self.limit_offset:
            raise OrderSpecError(f"trailing_offset and limit_offset must be 0 for {t.name}, got "
                                 f"{self.trailing_offset} and {self.limit_offset}")
        needs_price, needs_trigger = _PRICES_NEEDED.get(t, _NO_PRICES)
        if not trailing and needs_price != (self.price is not None):
            raise OrderSpecError(
                f"price must be {'set' if needs_price else 'None'} for {t.name}, got {self.price}"
            )
        if not trailing and needs_trigger != (self.trigger_price is not None):
            raise OrderSpecError(
                f"trigger_price must be {'set' if needs_trigger else 'None'} for {t.name}, "
                f"got {self.trigger_price}"
            )
        if (self.time_in_force == _GTD) != (self.expire_time_ns > 0):
            raise OrderSpecError(
                f"expire_time_ns must be > 0 exactly when time_in_force is GTD, got "
                f"{self.expire_time_ns} with {self.time_in_force.name}"
            )
        if self.post_only and t != _LIMIT:
            raise OrderSpecError(f"post_only is only allowed on LIMIT orders, got {t.name}")
        if self.emulation_trigger is not None and t not in _EMULABLE:
            raise OrderSpecError(f"emulation_trigger is only allowed on orders with a trigger "
                                 f"(stop, if-touched, trailing), got {t.name}")

    def _check_trailing(self, t: OrderType) -> None:
        TrailingOffsetType(self.trailing_offset_type)  # raises ValueError naming the value
        TriggerType(self.trigger_type)
        if self.trailing_offset <= 0:
            raise OrderSpecError(f"trailing_offset must be > 0 for {t.name}, got "
                                 f"{self.trailing_offset}")
        if (t == _TSL) != (self.limit_offset > 0):
            raise OrderSpecError(f"limit_offset must be {'> 0' if t == _TSL else '0'} for "
                                 f"{t.name}, got {self.limit_offset}")
        if t != _TSL and self.price is not None:
            raise OrderSpecError(f"price must be None for {t.name}, got {self.price}")

    @property
    def is_trailing(self) -> bool:
        return self.order_type in _TRAILING

    @classmethod
    def market(cls, side: OrderSide, quantity: Quantity, **kw: Any) -> OrderSpec:
        return cls(side, _MARKET, quantity, **kw)

    @classmethod
    def limit(cls, side: OrderSide, quantity: Quantity, price: Price, **kw: Any) -> OrderSpec:
        return cls(side, OrderType.LIMIT, quantity, price=price, **kw)

    @classmethod
    def stop_market(
        cls, side: OrderSide, quantity: Quantity, trigger_price: Price, **kw: Any
    ) -> OrderSpec:
        return cls(side, OrderType.STOP_MARKET, quantity, trigger_price=trigger_price, **kw)

    @classmethod
    def stop_limit(
        cls, side: OrderSide, quantity: Quantity, price: Price, trigger_price: Price, **kw: Any
    ) -> OrderSpec:
        return cls(side, OrderType.STOP_LIMIT, quantity, price=price, trigger_price=trigger_price, **kw)

    @classmethod
    def market_if_touched(
        cls, side: OrderSide, quantity: Quantity, trigger_price: Price, **kw: Any
    ) -> OrderSpec:
        """A market order once the price touches ``trigger_price`` from the favourable side
        (a buy when the ask is at or below it, a sell when the bid is at or above it)."""
        return cls(side, OrderType.MARKET_IF_TOUCHED, quantity, trigger_price=trigger_price, **kw)

    @classmethod
    def limit_if_touched(
        cls, side: OrderSide, quantity: Quantity, price: Price, trigger_price: Price, **kw: Any
    ) -> OrderSpec:
        """A limit order at ``price`` once the price touches ``trigger_price`` (as
        :meth:`market_if_touched`)."""
        return cls(side, OrderType.LIMIT_IF_TOUCHED, quantity, price=price,
                   trigger_price=trigger_price, **kw)

    @classmethod
    def trailing_stop_market(
        cls, side: OrderSide, quantity: Quantity, trailing_offset: int, **kw: Any
    ) -> OrderSpec:
        """A stop-market whose trigger follows the market ``trailing_offset`` away (see
        :mod:`domain.trailing`); ``trigger_price`` (optional) is its initial trigger."""
        return cls(side, OrderType.TRAILING_STOP_MARKET, quantity,
                   trailing_offset=trailing_offset, **kw)

    @classmethod
    def trailing_stop_limit(
        cls, side: OrderSide, quantity: Quantity, trailing_offset: int, limit_offset: int,
        **kw: Any,
    ) -> OrderSpec:
        """A stop-limit whose trigger and limit price follow the market at their offsets."""
        return cls(side, OrderType.TRAILING_STOP_LIMIT, quantity, trailing_offset=trailing_offset,
                   limit_offset=limit_offset, **kw)

    @classmethod
    def market_to_limit(cls, side: OrderSide, quantity: Quantity, **kw: Any) -> OrderSpec:
        return cls(side, OrderType.MARKET_TO_LIMIT, quantity, **kw)

    @property
    def options(self) -> OrderOption:
        opts = OrderOption.NONE
        if self.post_only:
            opts |= OrderOption.POST_ONLY
        if self.reduce_only:
            opts |= OrderOption.REDUCE_ONLY
        return opts

    def initialized_values(
        self, client_order_id: int, instrument_id: int, strategy_id: int, price_precision: int,
        order_list_id: int = 0, linked_order_id: int = 0, parent_order_id: int = 0,
    ) -> tuple[Any, ...]:
        """Returns the payload of this order's ORDER_INITIALIZED record (raw values) in the
        order of :data:`INITIALIZED_NAMES`.

        ``price_precision`` is the instrument's; ``price`` and ``trigger_price`` must have it
        (else :class:`OrderSpecError`, naming the field).
        """
        price, trigger = self.price, self.trigger_price
        if (price is not None and price.precision != price_precision) or \
                (trigger is not None and trigger.precision != price_precision):
            for name, p in (("price", price), ("trigger_price", trigger)):
                if p is not None and p.precision != price_precision:
                    raise OrderSpecError(f"{name} {p} has precision {p.precision}, the "
                                         f"instrument's is {price_precision}")
        quantity = self.quantity
        # Plain ints for the options bits: an IntFlag ``|`` per order costs more than the rest.
        options = (_POST_ONLY if self.post_only else 0) | (_REDUCE_ONLY if self.reduce_only else 0)
        return (
            client_order_id, instrument_id, strategy_id, int(self.order_type), int(self.side),
            int(self.time_in_force), options, int(self.contingency), price_precision,
            quantity.precision, quantity.raw, NULL_I64 if price is None else price.raw,
            NULL_I64 if trigger is None else trigger.raw, self.expire_time_ns, order_list_id,
            linked_order_id, parent_order_id,
        )

    def initialized_fields(
        self, client_order_id: int, instrument_id: int, strategy_id: int, *,
        price_precision: int, order_list_id: int = 0, linked_order_id: int = 0,
        parent_order_id: int = 0,
    ) -> dict[str, Any]:
        """Returns :meth:`initialized_values` by field name."""
        return dict(zip(INITIALIZED_NAMES, self.initialized_values(
            client_order_id, instrument_id, strategy_id, price_precision, order_list_id,
            linked_order_id, parent_order_id), strict=True))


@attrs.frozen
class OrderList:
    """Contingent orders submitted together. ``parents[i]`` / ``links[i]`` are indexes into
    ``orders`` (-1 for none): the OTO parent of order i and its OCO / OUO partner.
    """

    orders: tuple[OrderSpec, ...]
    parents: tuple[int, ...]
    links: tuple[int, ...]

    def __attrs_post_init__(self) -> None:
        n = len(self.orders)
        if self.parents is _BRACKET_PARENTS and self.links is _BRACKET_LINKS and n == 3:
            return  # :meth:`bracket`'s own shape (it passes: tests/unit/test_order_specs_shape.py)
        if n == 0 or len(self.parents) != n or len(self.links) != n:
            raise OrderSpecError(
                f"an order list needs orders, parents and links of one length, got "
                f"{n}, {len(self.parents)}, {len(self.links)}"
            )
        for i, j in (*enumerate(self.parents), *enumerate(self.links)):
            if j == i or not -1 <= j < n:
                raise OrderSpecError(f"order list index {j} for order {i} is out of range or self")

    @classmethod
    def bracket(
        cls, side: OrderSide, quantity: Quantity, *, take_profit: Price, stop_loss: Price,
        entry_price: Price | None = None, time_in_force: TimeInForce = TimeInForce.GTC,
        tp_post_only: bool = False, emulation_trigger: TriggerType | None = None,
    ) -> OrderList:
        """Returns entry (market, or limit at ``entry_price``) OTO [take-profit limit OCO
        stop-loss stop-market]; the exits are on the opposite side and reduce-only.
        ``emulation_trigger``: the stop-loss is held and triggered by the kernel's emulator
        (for a venue without stop orders); None: the venue holds it.
        """
        buy = side == _BUY_SIDE
        exit_side = _SELL_SIDE if buy else _BUY_SIDE
        lo, hi = (stop_loss, take_profit) if buy else (take_profit, stop_loss)
        if not lo < hi:
            raise OrderSpecError(
                f"take_profit {take_profit} and stop_loss {stop_loss} are on the wrong sides "
                f"for a {side.name} bracket"
            )
        # The specs positionally, in OrderSpec's field order (side, order_type, quantity, price,
        # trigger_price, time_in_force, expire_time_ns, post_only, reduce_only, contingency,
        # trailing_offset, limit_offset, trailing_offset_type, trigger_type,
        # emulation_trigger): the same specs and checks as the keyword factories, without
        # their keyword dicts (a bracket per signal: perf/backtest_brackets.py).
        if entry_price is None:
            entry = OrderSpec(side, _MARKET, quantity, None, None, _GTC, 0, False, False, _OTO)
        else:
            entry = OrderSpec(side, _LIMIT, quantity, entry_price, None, time_in_force, 0, False,
                              False, _OTO)
        tp = OrderSpec(exit_side, _LIMIT, quantity, take_profit, None, time_in_force, 0,
                       tp_post_only, True, _OCO)
        sl = OrderSpec(exit_side, _STOP_MARKET, quantity, None, stop_loss, time_in_force, 0,
                       False, True, _OCO, 0, 0, _PRICE_OFFSET, _DEFAULT_TRIGGER,
                       emulation_trigger)
        return cls((entry, tp, sl), _BRACKET_PARENTS, _BRACKET_LINKS)

    def initialized_values(
        self, client_order_ids: Sequence[int], instrument_id: int, strategy_id: int,
        order_list_id: int, price_precision: int,
    ) -> list[tuple[Any, ...]]:
        """Returns the ORDER_INITIALIZED payloads of the list (raw values in the order of
        :data:`INITIALIZED_NAMES`), links resolved to the given ids."""
        if len(client_order_ids) != len(self.orders):
            raise OrderSpecError(
                f"client_order_ids has {len(client_order_ids)} ids for {len(self.orders)} orders"
            )
        if self.parents is _BRACKET_PARENTS and self.links is _BRACKET_LINKS:
            # :meth:`bracket`'s shape, its links resolved by hand (a list per signal)
            entry, tp, sl = self.orders
            e, t, s = client_order_ids
            return [
                entry.initialized_values(e, instrument_id, strategy_id, price_precision,
                                         order_list_id, 0, 0),
                tp.initialized_values(t, instrument_id, strategy_id, price_precision,
                                      order_list_id, s, e),
                sl.initialized_values(s, instrument_id, strategy_id, price_precision,
                                      order_list_id, t, e),
            ]
        ids = list(client_order_ids)
        return [
            spec.initialized_values(
                ids[i], instrument_id, strategy_id, price_precision, order_list_id,
                ids[self.links[i]] if self.links[i] >= 0 else 0,
                ids[self.parents[i]] if self.parents[i] >= 0 else 0,
            )
            for i, spec in enumerate(self.orders)
        ]

    def initialized_fields(
        self, client_order_ids: Sequence[int], instrument_id: int, strategy_id: int,
        order_list_id: int, price_precision: int,
    ) -> list[dict[str, Any]]:
        """Returns :meth:`initialized_values` by field name."""
        return [dict(zip(INITIALIZED_NAMES, values, strict=True)) for values in
                self.initialized_values(client_order_ids, instrument_id, strategy_id,
                                        order_list_id, price_precision)]

#: A bracket's shape: entry OTO [take-profit OCO stop-loss].
_BRACKET_PARENTS, _BRACKET_LINKS = (-1, 0, 0), (-1, 2, 1)

__all__ = ["INITIALIZED_NAMES", "OrderList", "OrderSpec", "OrderSpecError"]
