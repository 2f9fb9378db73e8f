"""The orders / fills / positions tables of a backtest report, and the count of refused orders.

Design contract:
- a table is its column names and its rows, tuples of strings, ints and floats in log order
  (:class:`Tables` also gives them as dicts); amounts are exact decimal strings;
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


#: A table: its column names and its rows (tuples in column order, in log order).
Table = tuple[tuple[str, ...], list[tuple[Any, ...]]]

ORDER_COLUMNS = ("client_order_id", "instrument", "strategy", "side", "type", "quantity", "filled",
                 "price", "trigger_price", "status", "reason", "tags", "ts_init", "ts_last")
FILL_COLUMNS = ("seq", "ts_event", "client_order_id", "instrument", "side", "liquidity",
                "last_qty", "last_px", "trade_id", "commission", "commission_currency")
POSITION_COLUMNS = ("position_id", "instrument", "strategy", "side", "ts_opened", "ts_closed",
                    "avg_px_open", "avg_px_close", "realized_pnl", "currency")


class Tables:
    """The orders / fills / positions tables, each built on first use and kept: as rows of
    tuples (what a report writes) and, when asked for, as dicts (``get``)."""

    def __init__(self, builders: dict[str, Callable[[], Table]]) -> None:
        self._builders = builders
        self._built: dict[str, Table] = {}
        self._dicts: dict[str, list[dict[str, Any]]] = {}

    def rows(self, name: str) -> Table:
        """Returns (column names, rows as tuples) of the table ``name``."""
        table = self._built.get(name)
        if table is None:
            table = self._built[name] = self._builders[name]()
        return table

    def get(self, name: str) -> list[dict[str, Any]]:
        """Returns the table ``name`` as one dict per row (keys in column order)."""
        dicts = self._dicts.get(name)
        if dicts is None:
            columns, rows = self.rows(name)
            dicts = self._dicts[name] = [dict(zip(columns, row, strict=True)) for row in rows]
        return dicts


class _Texts(dict):
    """``fixed_text(raw, precision)`` remembered per ``texts[raw, precision]`` (a dict lookup in
    C per cell; quantities, prices and currencies repeat from row to row), and currency codes."""

    def __init__(self) -> None:
        super().__init__()
        self._currencies: dict[int, Currency] = {}

    def __missing__(self, key: tuple[int, int]) -> str:
        out = self[key] = fixed_text(*key)
        return out

    def currency(self, packed: int) -> Currency:
        ccy = self._currencies.get(packed)
        if ccy is None:
            ccy = self._currencies[packed] = Currency.from_packed(packed)
        return ccy

    def money(self, raw: int, packed: int) -> str:
        """:func:`money`, remembered."""
        return self[raw, self.currency(packed).precision]


class _Names(dict):
    """``text(id)`` remembered per id (instrument and strategy ids repeat from row to row)."""

    def __init__(self, text: Callable[[int], str]) -> None:
        super().__init__()
        self._text = text

    def __missing__(self, string_id: int) -> str:
        out = self[string_id] = self._text(string_id)
        return out


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


def orders_table(cache: Any, text: Any) -> Table:
    fixed = _Texts()
    names = _Names(text)
    rows = []
    for o in cache.orders():
        size_precision, price_precision = o.size_precision, o.price_precision
        rows.append((
            o.client_order_id, names[o.instrument_id], names[o.strategy_id],
            enum_name(OrderSide, o.side), enum_name(OrderType, o.order_type),
            fixed[o.quantity_raw, size_precision], fixed[o.filled_raw, size_precision],
            "" if o.price_raw is None else fixed[o.price_raw, price_precision],
            "" if o.trigger_price_raw is None else fixed[o.trigger_price_raw, price_precision],
            enum_name(OrderStatus, o.status), order_reason(o, text), order_tags(o), o.ts_init,
            o.ts_last,
        ))
    return ORDER_COLUMNS, rows


def _columns(records: Any, *names: str) -> list[list[Any]]:
    """The fields ``names`` of ``records`` (a kind's structured array) as Python lists."""
    return [records[name].tolist() for name in names]


def fills_table(fills: Any, text: Any) -> Table:
    """``fills``: the kept ORDER_FILLED records as their kind's structured array (log order);
    built column by column (about half the time of row by row)."""
    fixed = _Texts()
    (seq, ts, coid, iid, side, liquidity, qty, size_p, px, price_p, trade, commission,
     ccy) = _columns(fills, "seq", "ts_event", "client_order_id", "instrument_id", "side",
                     "liquidity_side", "last_qty", "size_precision", "last_px",
                     "price_precision", "trade_id", "commission", "commission_currency")
    names = _Names(text)
    rows = list(zip(
        seq, ts, coid, [names[v] for v in iid],
        [enum_name(OrderSide, v) for v in side],
        [enum_name(LiquiditySide, v) for v in liquidity],
        [fixed[k] for k in zip(qty, size_p, strict=True)],
        [fixed[k] for k in zip(px, price_p, strict=True)], trade,
        [fixed.money(raw, c) if c else "0" for raw, c in zip(commission, ccy, strict=True)],
        [fixed.currency(c).code if c else "" for c in ccy], strict=True,
    ))
    return FILL_COLUMNS, rows


def positions_table(opened: Any, closed: Any, text: Any) -> Table:
    """``opened`` / ``closed``: the kept POSITION_OPENED / POSITION_CLOSED records as their
    kinds' structured arrays (log order); a position's k-th close ends its k-th opening."""
    pid, iid, sid, side, ts_opened, avg_open, ccy = _columns(
        opened, "position_id", "instrument_id", "strategy_id", "side", "ts_opened",
        "avg_px_open", "currency")
    closes: dict[int, list[int]] = {}
    for i, p in enumerate(closed["position_id"].tolist()):
        closes.setdefault(p, []).append(i)
    for cycles in closes.values():
        cycles.reverse()  # popped from the end: the first close first
    c_ts, c_avg, c_pnl, c_ccy = _columns(closed, "ts_event", "avg_px_close", "realized_pnl",
                                         "currency")
    fixed = _Texts()
    names = _Names(text)
    rows = []
    for p, i, s, sd, t, avg, cy in zip(pid, iid, sid, side, ts_opened, avg_open, ccy,
                                        strict=True):
        pending = closes.get(p)
        c = pending.pop() if pending else None
        rows.append((
            p, names[i], names[s], enum_name(PositionSide, sd), t,
            c_ts[c] if c is not None else "", avg, c_avg[c] if c is not None else "",
            fixed.money(c_pnl[c], c_ccy[c]) if c is not None else "",
            fixed.currency(cy).code,
        ))
    return POSITION_COLUMNS, rows


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
