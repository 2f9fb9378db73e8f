"""Cache snapshot and restore: the cache's whole state as a JSON-able doc plus numpy arrays.

Design contract:
- :func:`snapshot_cache` returns ``(doc, arrays)``: the string table, instruments (as
  INSTRUMENT records), the latest QUOTE / TRADE / BAR records, books (each through its own
  ``snapshot()`` arrays, under ``book/<instrument_id>/<name>``), and the trading state (orders,
  positions and accounts attribute by attribute through :mod:`engines.state_codec`, indexes in
  their insertion order, the hedging strategies, the last fill's effect, the closed-order
  bound, count and chain digest, the refusals of forgotten orders);
- :func:`restore_cache` rebuilds an equal cache from them in place (the kernel's string table
  object is kept and refilled), so ``state_hash`` after restore equals ``state_hash`` before
  and replaying the records after the snapshot gives the state of a full replay;
- nothing is unpickled or executed: arrays hold record bytes and numbers, the doc plain data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from domain.accounts import CashAccount, MarginAccount
from domain.codec import KIND_OFFSET, RAW_STRUCTS, RAW_TUPLES, packer
from domain.instruments import Instrument
from domain.kinds import RECORD_DTYPE, Kind
from domain.orders import Order
from domain.positions import Position
from engines.cache_trading import TradingState
from engines.state_codec import decode, encode, new_with_state, object_state

_ACCOUNT_CLASSES = {"CashAccount": CashAccount, "MarginAccount": MarginAccount}
_INDEXES = ("orders_open", "orders_closed", "positions_open", "positions_closed")
_GROUPED = ("orders_by_strategy", "orders_by_instrument", "positions_by_strategy",
            "positions_by_instrument")


def _records(tuples: list[Any]) -> np.ndarray:
    data = b"".join(RAW_STRUCTS[r.kind].pack(*r) for r in tuples)
    return np.frombuffer(data, dtype=RECORD_DTYPE).copy()


def _tuples(arr: np.ndarray) -> list[Any]:
    data = np.ascontiguousarray(arr).tobytes()
    out = []
    for off in range(0, len(data), 128):
        kind = int.from_bytes(data[off + KIND_OFFSET : off + KIND_OFFSET + 2], "little")
        out.append(RAW_TUPLES[kind]._make(RAW_STRUCTS[kind].unpack_from(data, off)))
    return out


def snapshot_cache(cache: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Returns ``(doc, arrays)`` describing the whole cache (see the module contract)."""
    s = cache.strings
    t: TradingState = cache.trading
    arrays: dict[str, np.ndarray] = {
        "instruments": np.frombuffer(b"".join(
            packer(Kind.INSTRUMENT).pack(**inst.to_fields(iid))
            for iid, inst in cache.instruments.items()
        ), dtype=RECORD_DTYPE).copy(),
        "quotes": _records(list(cache.quotes.values())),
        "trades": _records(list(cache.trades.values())),
        "bars": _records(list(cache.bars.values())),
    }
    books = []
    for iid, book in cache.books.items():
        from engines.book import L3Book  # loaded already: a book exists (see Cache._book_for)

        books.append([iid, 3 if isinstance(book, L3Book) else 2])
        for name, arr in book.snapshot().items():
            arrays[f"book/{iid}/{name}"] = np.asarray(arr)
    doc = {
        "strings": {"items": [[i, text] for i, text in s.items()], "next_id": s._next_id,
                    "pending": [[i, [p.hex() for p in parts]] for i, parts in s._pending.items()]},
        "books": books,
        "orders": [object_state(o) for o in t.orders.values()],
        "positions": [object_state(p, skip=("instrument",)) for p in t.positions.values()],
        "accounts": [[type(a).__name__, object_state(a)] for a in t.accounts.values()],
        "indexes": {name: list(getattr(t, name)) for name in _INDEXES},
        "grouped": {name: [[k, list(v)] for k, v in getattr(t, name).items()]
                    for name in _GROUPED},
        "hedging": sorted(t.hedging_strategies),
        "order_history": t.order_history, "n_orders": t.n_orders,
        "forgotten_refusals": [[s, p, n, text] for (s, p), (n, text)
                               in t.forgotten_refusals.items()],
        "closed_digest": t.closed_digest.hex(),
        "last_fill_effect": encode(t.last_fill_effect),
    }
    return doc, arrays


def restore_cache(cache: Any, doc: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Replaces the cache's state with a snapshot's (see the module contract)."""
    s = cache.strings
    s._by_id.clear()
    s._by_text.clear()
    s._pending = {int(i): [bytes.fromhex(p) for p in parts]
                  for i, parts in doc["strings"]["pending"]}
    for i, text in doc["strings"]["items"]:
        s._define(int(i), text)
    s._next_id = int(doc["strings"]["next_id"])
    cache.instruments.clear()
    for rec in _tuples(arrays["instruments"]):
        cache.instruments[rec.instrument_id] = Instrument.from_fields(
            rec._asdict(), s.text(rec.instrument_id))
    cache.quotes = {r.instrument_id: r for r in _tuples(arrays["quotes"])}
    cache.trades = {r.instrument_id: r for r in _tuples(arrays["trades"])}
    cache.bars = {(r.instrument_id, r.aggregation, r.step, r.price_type): r
                  for r in _tuples(arrays["bars"])}
    cache.books = {}
    for iid, level in doc["books"]:
        from engines.book import L2Book, L3Book  # only with books (see Cache._book_for)

        prefix = f"book/{iid}/"
        snap = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
        cache.books[int(iid)] = (L3Book if level == 3 else L2Book).restore(snap)
    t = TradingState(cache.instruments, doc["order_history"], cache._reason_text)
    t.n_orders = int(doc["n_orders"])
    t.forgotten_refusals = {(int(s), str(p)): [int(n), str(text)]
                            for s, p, n, text in doc["forgotten_refusals"]}
    t.closed_digest = bytes.fromhex(doc["closed_digest"])
    for state in doc["orders"]:
        order = new_with_state(Order, state)
        t.orders[order.client_order_id] = order
    for state in doc["positions"]:
        pos = new_with_state(Position, state)
        pos.instrument = cache.instruments[pos.instrument_id]
        t.positions[pos.position_id] = pos
    for cls_name, state in doc["accounts"]:
        account = new_with_state(_ACCOUNT_CLASSES[cls_name], state)
        t.accounts[account.account_id] = account
    for name in _INDEXES:
        setattr(t, name, dict.fromkeys(int(k) for k in doc["indexes"][name]))
    for name in _GROUPED:
        setattr(t, name, {int(k): dict.fromkeys(int(x) for x in v) for k, v in doc["grouped"][name]})
    t.hedging_strategies = {int(x) for x in doc["hedging"]}
    t.last_fill_effect = decode(doc["last_fill_effect"])
    t.rebuild_derived()
    cache.trading = t
