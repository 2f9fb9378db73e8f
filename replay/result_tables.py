"""The orders / fills / positions tables of a backtest report, and the count of refused orders.

Design contract:
- rows are plain dicts of strings and ints, in log order; amounts are exact decimal strings;
- ``orders.csv`` names why an order ended as it did: ``status``, ``reason`` (the ORDER_DENIED /
  ORDER_REJECTED / last refusal text, as interned), ``trigger_price`` and ``tags`` (the order's
  options and contingency, ``;``-separated, e.g. ``REDUCE_ONLY;OCO``);
- :func:`refusals` counts DENIED and REJECTED orders by reason, grouped by the check that
  refused them (the reason text before its first ``:``, e.g. ``margin``; amounts differ per
  order), most frequent first, ties broken by name, each with its first reason text in full.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import IntEnum
from typing import Any

from domain.currencies import Currency
from domain.enums import (
    ContingencyType,
    LiquiditySide,
    OrderOption,
    OrderSide,
    OrderType,
    PositionSide,
)
from domain.order_fsm import OrderStatus
from domain.values import fixed_text
from engines.cache_trading import refusal_text
from engines.reasons import order_reason

#: How many reasons a report lists per outcome (the rest are counted in ``n_denied`` etc.).
TOP_REASONS = 5


def money(raw: int, currency_code: int) -> str:
    """Returns ``raw`` units of the packed currency as an exact decimal string."""
    return fixed_text(raw, Currency.from_packed(currency_code).precision)


class Tables:
    """The orders / fills / positions tables, each built on first use and kept."""

    def __init__(self, builders: dict[str, Callable[[], list[dict[str, Any]]]]) -> None:
        self._builders = builders
        self._built: dict[str, list[dict[str, Any]]] = {}

    def get(self, name: str) -> list[dict[str, Any]]:
        table = self._built.get(name)
        if table is None:
            table = self._built[name] = self._builders[name]()
        return table


@functools.lru_cache(maxsize=1024)
def enum_name(enum: type[IntEnum], value: int) -> str:
    """Returns ``enum(value).name``, remembered (a table has many rows and few values)."""
    return enum(value).name


def order_tags(order: Any) -> str:
    """Returns the order's options and contingency as ``;``-separated names ('' for none)."""
    return _tags(int(order.options), int(order.contingency))


@functools.lru_cache(maxsize=256)
def _tags(options: int, contingency: int) -> str:
    tags = [flag.name for flag in (OrderOption.POST_ONLY, OrderOption.REDUCE_ONLY)
            if options & flag]
    if contingency != ContingencyType.NO_CONTINGENCY:
        tags.append(ContingencyType(contingency).name)
    return ";".join(tags)


def orders_table(cache: Any, text: Any) -> list[dict[str, Any]]:
    rows = []
    for o in cache.orders():
        rows.append({
            "client_order_id": o.client_order_id, "instrument": text(o.instrument_id),
            "strategy": text(o.strategy_id), "side": enum_name(OrderSide, o.side),
            "type": enum_name(OrderType, o.order_type),
            "quantity": fixed_text(o.quantity_raw, o.size_precision),
            "filled": fixed_text(o.filled_raw, o.size_precision),
            "price": "" if o.price_raw is None else fixed_text(o.price_raw, o.price_precision),
            "trigger_price": "" if o.trigger_price_raw is None
            else fixed_text(o.trigger_price_raw, o.price_precision),
            "status": o.status.name, "reason": order_reason(o, text),
            "tags": order_tags(o), "ts_init": o.ts_init, "ts_last": o.ts_last,
        })
    return rows


def fills_table(fills: list[Any], text: Any) -> list[dict[str, Any]]:
    return [{
        "seq": f.seq, "ts_event": f.ts_event, "client_order_id": f.client_order_id,
        "instrument": text(f.instrument_id), "side": enum_name(OrderSide, f.side),
        "liquidity": enum_name(LiquiditySide, f.liquidity_side),
        "last_qty": fixed_text(f.last_qty, f.size_precision),
        "last_px": fixed_text(f.last_px, f.price_precision), "trade_id": f.trade_id,
        "commission": money(f.commission, f.commission_currency) if f.commission_currency else "0",
        "commission_currency": Currency.from_packed(f.commission_currency).code
        if f.commission_currency else "",
    } for f in fills]


def positions_table(opened: list[Any], closed: list[Any], text: Any) -> list[dict[str, Any]]:
    closes: dict[int, list[Any]] = {}
    for c in closed:
        closes.setdefault(c.position_id, []).append(c)
    rows = []
    for o in opened:
        pending = closes.get(o.position_id) or []
        close = pending.pop(0) if pending else None
        rows.append({
            "position_id": o.position_id, "instrument": text(o.instrument_id),
            "strategy": text(o.strategy_id), "side": enum_name(PositionSide, o.side),
            "ts_opened": o.ts_opened, "ts_closed": close.ts_event if close else "",
            "avg_px_open": o.avg_px_open, "avg_px_close": close.avg_px_close if close else "",
            "realized_pnl": money(close.realized_pnl, close.currency) if close else "",
            "currency": Currency.from_packed(o.currency).code,
        })
    return rows


def refusals(cache: Any, text: Any) -> dict[str, Any]:
    """Returns ``n_denied`` / ``n_rejected`` and, for each, the top reasons with their counts
    (``denied_reasons`` / ``rejected_reasons``: ``[{"reason", "count", "example"}]``)."""
    counts: dict[OrderStatus, dict[str, list[Any]]] = {
        OrderStatus.DENIED: {}, OrderStatus.REJECTED: {}}
    # orders the cache no longer holds (order_history) were counted as it forgot them
    for (status, prefix), (n, example) in cache.trading.forgotten_refusals.items():
        counts[OrderStatus(status)].setdefault(prefix, [0, example])[0] += n
    for o in cache.orders():
        per = counts.get(o.status)
        if per is not None:
            full = refusal_text(o, text)
            entry = per.setdefault(full.split(":", 1)[0], [0, full])
            entry[0] += 1
    out: dict[str, Any] = {}
    for status, name in ((OrderStatus.DENIED, "denied"), (OrderStatus.REJECTED, "rejected")):
        per = counts[status]
        out[f"n_{name}"] = sum(n for n, _ in per.values())
        top = sorted(per.items(), key=lambda kv: (-kv[1][0], kv[0]))[:TOP_REASONS]
        out[f"{name}_reasons"] = [{"reason": r, "count": n, "example": ex}
                                  for r, (n, ex) in top]
    return out
