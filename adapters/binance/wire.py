"""Binance wire messages -> RECORD_DTYPE INPUT records.

Design contract (the same mapping as :mod:`replay.loaders.binance_depth`, so a live book and a
backtest book built from the same levels agree):
- a depth snapshot becomes a CLEAR then one ADD per level (bids first), all flagged SNAPSHOT;
- a ``depthUpdate`` becomes one MODIFY per level (qty 0 removes the level), bids then asks;
- ``venue_sequence`` is the snapshot's ``lastUpdateId`` or the update's ``u``; LAST marks the
  last record of each message; ``level`` is L2;
- ``trade`` / ``aggTrade`` become TRADE records; ``m`` (buyer is maker) means the seller
  aggressed; ``trade_id`` is ``t`` (``a`` for aggTrade);
- ts_event is the exchange time in ms (``E`` for depth, ``T`` for trades) as ns;
- a price or quantity not exact at the configured precision, or negative, raises ValueError
  naming the symbol, field and value.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from adapters.binance.config import BinanceSymbol
from domain.codec import as_kind, empty
from domain.enums import AggressorSide, BookAction, BookLevel, OrderSide, RecordFlag
from domain.kinds import Kind

_MS = 1_000_000


def scaled(text: str, precision: int, what: str) -> int:
    """Returns decimal ``text`` as an int at ``precision`` decimals; refuses inexact values."""
    s = str(text)
    if s.startswith("-"):
        raise ValueError(f"binance {what}={text!r}: negative")
    whole, _, frac = s.partition(".")
    frac = frac.rstrip("0")
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > precision:
        raise ValueError(f"binance {what}={text!r}: not a decimal exact at {precision} places")
    return int(whole) * 10 ** precision + int(frac.ljust(precision, "0") or "0")


def _levels(sym: BinanceSymbol, levels: list[list[str]], side: OrderSide, field: str
            ) -> list[tuple[int, int, int]]:
    where = f"{sym.symbol} {field}"
    return [(int(side), scaled(p, sym.price_precision, f"{where} price"),
             scaled(q, sym.size_precision, f"{where} qty")) for p, q in levels]


def _book_records(sym: BinanceSymbol, rows: list[tuple[int, int, int]], action: BookAction,
                  clear: bool, seq: int, ts_event: int, ts_init: int) -> np.ndarray:
    n = len(rows) + int(clear)
    out = empty(Kind.BOOK_DELTA, n)
    v = as_kind(out, Kind.BOOK_DELTA)
    v["ts_event"], v["ts_init"], v["instrument_id"] = ts_event, ts_init, sym.instrument_id
    v["price_precision"], v["size_precision"] = sym.price_precision, sym.size_precision
    v["level"], v["venue_sequence"] = BookLevel.L2, seq
    flags = RecordFlag.INPUT | (RecordFlag.SNAPSHOT if clear else 0)
    v["flags"] = flags
    if clear:
        v["action"][0], v["side"][0] = BookAction.CLEAR, OrderSide.NO_SIDE
    if rows:
        body = np.array(rows, np.int64)
        v["action"][int(clear):] = action
        v["side"][int(clear):], v["price"][int(clear):] = body[:, 0], body[:, 1]
        v["size"][int(clear):] = body[:, 2]
    if n:
        v["flags"][-1] = flags | RecordFlag.LAST
    return out


def snapshot_records(sym: BinanceSymbol, snap: dict[str, Any], ts_event: int, ts_init: int
                     ) -> np.ndarray:
    """CLEAR + ADD records of a REST depth snapshot (``lastUpdateId``, ``bids``, ``asks``)."""
    rows = (_levels(sym, snap["bids"], OrderSide.BUY, "bids")
            + _levels(sym, snap["asks"], OrderSide.SELL, "asks"))
    return _book_records(sym, rows, BookAction.ADD, True, int(snap["lastUpdateId"]),
                         ts_event, ts_init)


def depth_records(sym: BinanceSymbol, msg: dict[str, Any], ts_init: int) -> np.ndarray:
    """MODIFY records of one ``depthUpdate`` message."""
    rows = (_levels(sym, msg.get("b", []), OrderSide.BUY, "b")
            + _levels(sym, msg.get("a", []), OrderSide.SELL, "a"))
    return _book_records(sym, rows, BookAction.MODIFY, False, int(msg["u"]),
                         int(msg["E"]) * _MS, ts_init)


def trade_records(sym: BinanceSymbol, msg: dict[str, Any], ts_init: int) -> np.ndarray:
    """One TRADE record of a ``trade`` or ``aggTrade`` message."""
    out = empty(Kind.TRADE, 1)
    v = as_kind(out, Kind.TRADE)
    v["ts_event"], v["ts_init"], v["instrument_id"] = int(msg["T"]) * _MS, ts_init, \
        sym.instrument_id
    v["flags"] = RecordFlag.INPUT | RecordFlag.LAST
    v["price_precision"], v["size_precision"] = sym.price_precision, sym.size_precision
    v["price"] = scaled(msg["p"], sym.price_precision, f"{sym.symbol} trade price")
    v["size"] = scaled(msg["q"], sym.size_precision, f"{sym.symbol} trade qty")
    v["aggressor_side"] = AggressorSide.SELLER if msg["m"] else AggressorSide.BUYER
    v["trade_id"] = int(msg["t"] if msg.get("e") == "trade" else msg["a"])
    return out
