"""Pre-trade risk checks as pure functions over plain values.

Design contract:
- each check returns ``None`` when the order passes, else the denial reason: a
  :class:`engines.reasons.Refusal` whose text names the check, the field and the offending
  value; its numbers (quantities, prices, amounts, counts) are :class:`~engines.reasons.Num`
  parts, so the interned template is shared by every denial of that check on that instrument
  and account (the numbers travel in a REASON_ARGS record);
- checks never change what they are given and never raise for a failing order;
- prices and quantities are raw ints at the order's precisions; limits in :class:`RiskConfig`
  are ``Decimal`` in instrument units (quantity) or settlement currency (notional).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NamedTuple

import attrs

from domain.enums import OrderSide, OrderType, TradingState
from domain.instruments import Instrument
from engines.reasons import Num as N
from engines.reasons import Refusal

_BUY, _SELL = OrderSide.BUY, OrderSide.SELL  # read per order: a global, not an enum class attribute (~70 ns)

R = Refusal.of


def _decimal_map(value: Mapping[str, object] | None) -> dict[str, Decimal]:
    return {str(k): Decimal(str(v)) for k, v in (value or {}).items()}


def _positive(instance: object, attribute: attrs.Attribute, value: object) -> None:
    if value is not None and not (isinstance(value, int | float) and value > 0):
        raise ValueError(f"RiskConfig.{attribute.name} must be > 0 or None, got {value!r}")


def _rate(instance: object, attribute: attrs.Attribute, value: object) -> None:
    if value is None:
        return
    ok = isinstance(value, tuple) and len(value) == 2 and all(
        isinstance(v, int) and v > 0 for v in value
    )
    if not ok:
        raise ValueError(
            f"RiskConfig.{attribute.name} must be (max_submits > 0, window_ns > 0) or None, "
            f"got {value!r}"
        )


@attrs.frozen
class RiskConfig:
    """Limits of the risk engine; ``None`` (or a missing instrument key) disables a check.

    - ``max_order_qty`` / ``max_notional_per_order``: per instrument symbol (``"EUR/USD.SIM"``);
      notional is in the instrument's settlement currency, at the order's price (limit, else
      trigger, else the touch: ask for buys, bid for sells);
    - ``max_open_orders``: open plus in-flight orders per instrument (all strategies);
    - ``price_collar_pct``: limit and trigger prices within ``mid * (1 ± pct / 100)`` of the
      latest quote's mid (skipped while the instrument has no quote);
    - ``max_submit_rate``: ``(n, window_ns)``: at most ``n`` orders forwarded in any window of
      ``window_ns`` measured on ``ts_init`` (half-open: a submit at ``t`` counts those in
      ``(t - window_ns, t]``);
    - ``check_balance``: deny orders whose cash lock / initial margin exceeds the free balance;
    - ``short_selling``: instrument symbols a CASH account may sell short (more than it holds);
      any other sell beyond the holding of a cash account is denied.
    """

    max_order_qty: dict[str, Decimal] = attrs.field(factory=dict, converter=_decimal_map)
    max_notional_per_order: dict[str, Decimal] = attrs.field(factory=dict, converter=_decimal_map)
    max_open_orders: int | None = attrs.field(default=None, validator=_positive)
    price_collar_pct: float | None = attrs.field(default=None, validator=_positive)
    max_submit_rate: tuple[int, int] | None = attrs.field(default=None, validator=_rate)
    check_balance: bool = True
    short_selling: frozenset[str] = attrs.field(factory=frozenset, converter=frozenset)


def _units(raw: int, precision: int) -> Decimal:
    return Decimal(raw).scaleb(-precision)


def check_trading_state(state: TradingState, reduces: bool) -> Refusal | None:
    """HALTED denies everything; REDUCING denies what would not reduce a position."""
    if state == TradingState.HALTED:
        return R("trading state HALTED: no orders are accepted")
    if state == TradingState.REDUCING and not reduces:
        return R("trading state REDUCING: order would not reduce a position")
    return None


def check_price(inst: Instrument, field: str, raw: int | None, precision: int
                ) -> Refusal | None:
    """A set price must be positive, at the instrument's precision and on its
    tick grid."""
    if raw is None:
        return None
    if precision != inst.price_precision:
        return R(f"precision: {field} precision {precision} differs from {inst.id} "
                 f"price_precision {inst.price_precision}")
    if raw <= 0:
        return R(f"positive price: {field} ", N(raw, precision), " must be > 0")
    if raw % inst.tick_size.raw:  # ``inst.is_on_tick`` without its call (a check per order)
        return R(f"tick grid: {field} ", N(raw, precision),
                 f" is not a multiple of tick_size {inst.tick_size}")
    return None


def check_quantity(inst: Instrument, qty_raw: int, precision: int) -> Refusal | None:
    """The quantity is positive, at the instrument's size precision and on its lot grid."""
    if precision != inst.size_precision:
        return R(f"precision: quantity precision {precision} differs from {inst.id} "
                 f"size_precision {inst.size_precision}")
    if qty_raw <= 0:
        return R("positive quantity: quantity ", N(qty_raw, precision), " must be > 0")
    lot = inst.lot_size.raw
    if qty_raw < lot:
        return R("lot size: quantity ", N(qty_raw, precision),
                 f" is below lot_size {inst.lot_size}")
    if qty_raw % lot:  # ``inst.is_on_lot`` without its call (a check per order)
        return R("lot grid: quantity ", N(qty_raw, precision),
                 f" is not a multiple of lot_size {inst.lot_size}")
    return None


def check_max_qty(inst: Instrument, config: RiskConfig, qty_raw: int) -> Refusal | None:
    """The quantity does not exceed the instrument's configured maximum."""
    if not config.max_order_qty:  # the usual case: no limits, no symbol text, no Decimal
        return None
    limit = config.max_order_qty.get(str(inst.id))
    if limit is None:
        return None
    if _units(qty_raw, inst.size_precision) > limit:
        return R("max order quantity: quantity ", N(qty_raw, inst.size_precision),
                 f" exceeds {limit} for {inst.id}")
    return None


def check_max_notional(inst: Instrument, config: RiskConfig, notional_raw: int
                       ) -> Refusal | None:
    """The order's notional does not exceed the instrument's configured maximum."""
    if not config.max_notional_per_order:
        return None
    limit = config.max_notional_per_order.get(str(inst.id))
    if limit is None:
        return None
    ccy = inst.settlement_currency
    if _units(notional_raw, ccy.precision) > limit:
        return R("max notional per order: notional ", N(notional_raw, ccy.precision),
                 f" {ccy.code} exceeds {limit} for {inst.id}")
    return None


def check_open_orders(inst: Instrument, config: RiskConfig, n_open: int) -> Refusal | None:
    """Fewer than ``max_open_orders`` orders are open or in flight on the instrument."""
    limit = config.max_open_orders
    if limit is not None and n_open >= limit:
        return R("max open orders: ", N(n_open), f" orders open on {inst.id}, limit {limit}")
    return None


def check_collar(
    inst: Instrument, config: RiskConfig, field: str, raw: int | None, mid_raw2: int | None
) -> Refusal | None:
    """A set price lies within ``price_collar_pct`` percent of the mid; ``mid_raw2`` is
    ``bid + ask`` (twice the mid, so it stays an exact int)."""
    pct = config.price_collar_pct
    if pct is None or raw is None or mid_raw2 is None:
        return None
    deviation = abs(Decimal(2 * raw) - mid_raw2) * 100 / Decimal(mid_raw2)
    if deviation > Decimal(str(pct)):
        p = inst.price_precision
        return R(f"price collar: {field} ", N(raw, p), " is ", _dec(f"{deviation:.4f}"),
                 "% from mid ", _dec(str(Decimal(mid_raw2).scaleb(-p) / 2)), f", limit {pct}%")
    return None


def _dec(text: str) -> Any:
    """Returns a decimal's text as the Num that prints it the same (fixed text otherwise)."""
    d = Decimal(text)
    sign, digits, exp = d.as_tuple()
    if not isinstance(exp, int) or exp > 0 or str(d) != text:
        return text
    raw = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    num = N(raw, -exp)
    return num if str(Decimal(num.raw).scaleb(-num.precision)) == text else text


def check_reduce_only(side: OrderSide, qty_raw: int, position_signed_raw: int, precision: int
                      ) -> Refusal | None:
    """A reduce-only order must be on the opposite side of the position and not larger."""
    held = position_signed_raw
    qty = N(qty_raw, precision)
    if held == 0:
        return R(f"reduce-only: {side.name} ", qty, " would open a position (position is flat)")
    if (side == _BUY) == (held > 0):
        return R(f"reduce-only: {side.name} ", qty, " would increase position ",
                 N(held, precision))
    if qty_raw > abs(held):
        return R(f"reduce-only: {side.name} ", qty, " exceeds position ", N(held, precision))
    return None


def check_cash_holding(inst: Instrument, config: RiskConfig, side: OrderSide, qty_raw: int,
                       held_raw: int) -> Refusal | None:
    """A cash account sells at most what it holds (``held_raw``: its position plus its base
    currency balance), unless the instrument may be sold short."""
    if side != _SELL or qty_raw <= max(held_raw, 0):
        return None
    if config.short_selling and str(inst.id) in config.short_selling:
        return None
    p = inst.size_precision
    return R("cash holding: SELL ", N(qty_raw, p), " exceeds the ", N(max(held_raw, 0), p),
             f" {inst.id} held (short selling not allowed for {inst.id} on a cash account)")


def base_holding_raw(inst: Instrument, account: Any) -> int:
    """Returns the free balance a cash account holds in the instrument's base currency (an FX
    or crypto spot pair), in raw units of the instrument's size (floored); 0 for none."""
    base = inst.base_currency
    if base is None or base.packed not in account._currencies:
        return 0
    free = account.free_raw(base.packed)
    if free <= 0:
        return 0
    shift = inst.size_precision - base.precision
    return free * 10**shift if shift >= 0 else free // 10**-shift


def reduces_position(side: OrderSide, qty_raw: int, position_signed_raw: int) -> bool:
    """True when the order is on the opposite side of a position and not larger than it
    (exactly when :func:`check_reduce_only` passes; plain ints, no message built)."""
    held = position_signed_raw
    if held == 0 or (side == _BUY) == (held > 0):
        return False
    return qty_raw <= abs(held)


def check_rate(config: RiskConfig, recent_ts: list[int], ts_init: int) -> Refusal | None:
    """Fewer than ``n`` forwarded submits in ``(ts_init - window_ns, ts_init]``; ``recent_ts``
    is ascending and already pruned to the window."""
    if config.max_submit_rate is None:
        return None
    n, window_ns = config.max_submit_rate
    if len(recent_ts) >= n:
        return R("submit rate: ", N(len(recent_ts)), f" orders submitted in the last {window_ns} "
                 "ns (ts_init ", N(ts_init), f"), limit {n}")
    return None


def check_balance(
    inst: Instrument, need_raw: int, free_raw: int, account_text: str
) -> Refusal | None:
    """The free balance covers what the order must lock (cash or initial margin)."""
    if need_raw <= free_raw:
        return None
    ccy = inst.settlement_currency
    p = ccy.precision
    return R("balance: order needs ", N(need_raw, p), f" {ccy.code}, free ", N(free_raw, p),
             f" {ccy.code} in account {account_text}")


def check_margin(
    ccy: Any, need_raw: int, free_raw: int, released_raw: int, account_text: str
) -> Refusal:
    """The denial of an order whose initial margin exceeds the margin account's free balance
    (plus the maintenance margin the order would release), in the margin currency ``ccy``."""
    p = ccy.precision
    released = (" + ", N(released_raw, p), " released") if released_raw else ()
    return R("margin: order needs initial margin ", N(need_raw, p), f" {ccy.code}, free ",
             N(free_raw, p), *released, f" {ccy.code} in account {account_text}")


class Touch(NamedTuple):
    """Best bid and ask raw prices, from a quote or the top of a book."""

    bid: int
    ask: int


def touch_of(cache: Any, instrument_id: int) -> Any:
    """Returns the latest quote of the instrument, else the top of its L2 / L3 book (both sides
    present), else None: book-only data (an MBO stream) still values market orders."""
    quote = cache.quote(instrument_id)
    if quote is not None:
        return quote
    book = cache.book(instrument_id)
    if book is None:
        return None
    bid, ask = book.best_bid(), book.best_ask()
    if bid is None or ask is None:
        return None
    return Touch(bid[0], ask[0])


#: Order types without a price or trigger that are valued at the touch (a trailing stop whose
#: venue sets its first trigger from the market).
_VALUED_AT_TOUCH = frozenset((OrderType.MARKET, OrderType.MARKET_TO_LIMIT,
                              OrderType.TRAILING_STOP_MARKET, OrderType.TRAILING_STOP_LIMIT))


def valuation_price(order: Any, quote: Any) -> int | None:
    """The price an order is valued at: limit, else trigger, else the touch it would take."""
    if order.price_raw is not None:
        return order.price_raw
    if order.trigger_price_raw is not None:
        return order.trigger_price_raw
    if quote is None or order.order_type not in _VALUED_AT_TOUCH:
        return None
    return quote.ask if order.side == _BUY else quote.bid
