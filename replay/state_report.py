"""The JSON summary of a state at a seq: what ``ringbus replay`` and ``ringbus bisect`` print.

Design contract:
- plain, strict JSON data: ``seq``, ``ts_init`` (ns) and ``ts_init_iso``, ``state_hash`` (16 hex
  digits, as in ``ringbus backtest --json``), ``open_orders``, ``positions`` (open ones),
  ``balances`` (per account and currency: total, locked, free) and ``books``;
- ``books`` is ``{instrument: {"bid": [price, size], "ask": [price, size]}}`` with prices and
  sizes as decimal strings and ``null`` for an empty side: the order book's top when the
  instrument has one, else its latest quote; instruments without either are left out;
- lists are in log order, dicts sorted by name, so the same state prints the same bytes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.currencies import Currency
from domain.enums import OrderSide, OrderType, PositionSide
from engines.kernel import Kernel
from journal.summary import iso_ns


def _dec(raw: int, precision: int) -> str:
    return str(Decimal(int(raw)).scaleb(-int(precision)))


def _money(raw: int, code: int) -> str:
    return _dec(raw, Currency.from_packed(code).precision)


def _side(top: tuple[int, int] | None, px_prec: int, sz_prec: int) -> list[str] | None:
    return None if top is None else [_dec(top[0], px_prec), _dec(top[1], sz_prec)]


def books(cache: Any) -> dict[str, dict[str, list[str] | None]]:
    """Returns the top of every instrument's book (or latest quote), keyed by symbol."""
    text = cache.strings.get
    out: dict[str, dict[str, list[str] | None]] = {}
    for iid, inst in cache.instruments.items():
        pp, sp = inst.price_precision, inst.size_precision
        book = cache.book(iid)
        if book is not None:
            out[text(iid, str(iid))] = {"bid": _side(book.best_bid(), pp, sp),
                                        "ask": _side(book.best_ask(), pp, sp)}
            continue
        q = cache.quote(iid)
        if q is not None:
            pp, sp = q.price_precision, q.size_precision
            out[text(iid, str(iid))] = {
                "bid": None if not q.bid_size else [_dec(q.bid, pp), _dec(q.bid_size, sp)],
                "ask": None if not q.ask_size else [_dec(q.ask, pp), _dec(q.ask_size, sp)],
            }
    return dict(sorted(out.items()))


def open_orders(cache: Any) -> list[dict[str, Any]]:
    """Returns the orders not closed, in log order."""
    text = cache.strings.get
    return [{
        "client_order_id": o.client_order_id, "instrument": text(o.instrument_id, ""),
        "strategy": text(o.strategy_id, ""), "side": OrderSide(o.side).name,
        "type": OrderType(o.order_type).name, "status": o.status.name,
        "quantity": _dec(o.quantity_raw, o.size_precision),
        "filled": _dec(o.filled_raw, o.size_precision),
        "price": None if o.price_raw is None else _dec(o.price_raw, o.price_precision),
    } for o in cache.orders(open_only=True)]


def positions(cache: Any) -> list[dict[str, Any]]:
    """Returns the open positions, in the order they opened."""
    text = cache.strings.get
    out = []
    for p in cache.positions(open_only=True):
        f = p.to_fields()
        inst = p.instrument
        out.append({
            "position_id": p.position_id, "instrument": text(p.instrument_id, ""),
            "strategy": text(p.strategy_id, ""), "side": PositionSide(f["side"]).name,
            "quantity": _dec(abs(p.signed_raw), inst.size_precision),
            "avg_px_open": str(f["avg_px_open"]),
            "realized_pnl": _money(p.realized_pnl_raw, f["currency"]) if f["currency"] else "0",
            "currency": Currency.from_packed(f["currency"]).code if f["currency"] else "",
        })
    return out


def balances(cache: Any) -> dict[str, dict[str, dict[str, str]]]:
    """Returns ``{account: {currency: {total, locked, free}}}``."""
    text = cache.strings.get
    out: dict[str, dict[str, dict[str, str]]] = {}
    for aid, account in cache.trading.accounts.items():
        per = {}
        for f in account.to_fields():
            code = f["currency"]
            per[Currency.from_packed(code).code] = {
                "total": _money(f["balance_total"], code), "locked": _money(f["balance_locked"], code),
                "free": _money(f["balance_free"], code)}
        out[text(aid, str(aid))] = dict(sorted(per.items()))
    return dict(sorted(out.items()))


def state_report(kernel: Kernel, seq: int, ts_init: int) -> dict[str, Any]:
    """Returns the JSON summary of the kernel's state after record ``seq``."""
    cache = kernel.cache
    return {
        "seq": seq, "ts_init": ts_init, "ts_init_iso": iso_ns(ts_init),
        "state_hash": f"{kernel.state_hash():016x}",
        "open_orders": open_orders(cache), "positions": positions(cache),
        "balances": balances(cache), "books": books(cache),
    }


def format_report(report: dict[str, Any]) -> str:
    """Returns the report as short human-readable text."""
    lines = [f"seq {report['seq']}  ts_init {report['ts_init']} ({report['ts_init_iso']})",
             f"state_hash {report['state_hash']}"]
    lines.append(f"open orders ({len(report['open_orders'])}):")
    lines += [f"  {o['client_order_id']} {o['instrument']} {o['side']} {o['type']} "
              f"{o['filled']}/{o['quantity']} @ {o['price']} {o['status']}"
              for o in report["open_orders"]]
    lines.append(f"positions ({len(report['positions'])}):")
    lines += [f"  {p['position_id']} {p['instrument']} {p['side']} {p['quantity']} "
              f"avg_px_open {p['avg_px_open']} realized {p['realized_pnl']} {p['currency']}"
              for p in report["positions"]]
    lines.append("balances:")
    for account, per in report["balances"].items():
        for ccy, b in per.items():
            lines.append(f"  {account} {ccy}: total {b['total']} locked {b['locked']} "
                         f"free {b['free']}")
    lines.append("books:")
    for sym, top in report["books"].items():
        bid = "-" if top["bid"] is None else f"{top['bid'][1]} @ {top['bid'][0]}"
        ask = "-" if top["ask"] is None else f"{top['ask'][1]} @ {top['ask'][0]}"
        lines.append(f"  {sym}: bid {bid} | ask {ask}")
    return "\n".join(lines)
