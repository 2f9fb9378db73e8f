"""Binance L2 depth CSV (snapshot and incremental updates) -> BOOK_DELTA records (L2).

Design contract (aligned with :class:`engines.book.l2.L2Book`, where ADD and MODIFY set a
level's size and size 0 removes it):
- columns ``symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu``;
  ``timestamp`` is ms; ``side`` is ``b`` (bid, BUY) or ``a`` (ask, SELL);
- each run of ``snap`` rows with one ``last_update_id`` becomes a CLEAR, then one ADD per row,
  all flagged SNAPSHOT; each ``set`` row becomes a MODIFY to ``qty`` (qty 0 removes the level —
  MODIFY-to-0 rather than CANCEL, because an update may remove a level deeper than the snapshot
  held, which the book ignores instead of reporting an unknown level);
- LAST marks the last record of each ``last_update_id`` (one venue event); ``venue_sequence`` is
  ``last_update_id``; chunks hold at most ``chunk_size`` records;
- refused, naming line, field and value: unknown side or update type, bad or non-exact prices,
  negative quantities, timestamps or update ids going backwards.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs
import numpy as np

from domain.enums import BookAction, BookLevel, OrderSide, RecordFlag
from domain.kinds import Kind
from replay.loaders.csv_common import (
    DEFAULT_CHUNK_SIZE,
    MonotonicClock,
    RowChunk,
    check_positive,
    iter_row_chunks,
    new_records,
    parse_decimals,
    parse_int_column,
    with_precisions,
)
from replay.loaders.csv_headers import BINANCE_DEPTH_COLUMNS as COLUMNS

_SIDES = {"b": OrderSide.BUY, "a": OrderSide.SELL}
_TYPES = {"snap": True, "set": False}


@attrs.frozen
class DepthOptions:
    """How a depth file is read. Precisions of None are inferred from the data."""

    price_precision: int | None = None
    size_precision: int | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE
    source: int = 0


def _lookup(chunk: RowChunk, field: str, table: dict[str, object]) -> np.ndarray:
    words = np.array(chunk.columns[field], dtype=str)
    uniques, inverse = np.unique(words, return_inverse=True)
    codes = []
    for j, word in enumerate(uniques.tolist()):
        if word not in table:
            i = int(np.flatnonzero(inverse == j)[0])
            raise chunk.fail(i, field, f"expected one of {sorted(table)}")
        codes.append(table[word])
    return np.array(codes)[inverse]


def _build(chunk: RowChunk, pp: int, sp: int, opts: DepthOptions, instrument_id: int,
           clock: MonotonicClock, ids: MonotonicClock, prev_key: tuple[int, bool] | None
           ) -> tuple[np.ndarray, np.ndarray]:
    """Returns (records, update id per record) for one chunk; LAST is not set yet."""
    ts = parse_int_column(chunk, "timestamp", scale=1_000_000)
    clock.check(chunk, "timestamp", ts)
    update_id = parse_int_column(chunk, "last_update_id")
    ids.check(chunk, "last_update_id", update_id)
    side = _lookup(chunk, "side", _SIDES).astype(np.uint8)
    snap = _lookup(chunk, "update_type", _TYPES).astype(bool)
    price, qty = parse_decimals(chunk, "price", pp), parse_decimals(chunk, "qty", sp)
    check_positive(chunk, "price", price)
    check_positive(chunk, "qty", qty)
    prev_id = np.concatenate(([-1 if prev_key is None else prev_key[0]], update_id[:-1]))
    prev_snap = np.concatenate(([False if prev_key is None else prev_key[1]], snap[:-1]))
    clear_before = snap & ((update_id != prev_id) | ~prev_snap)
    row_pos = np.arange(len(chunk)) + np.cumsum(clear_before)
    clear_pos = row_pos[clear_before] - 1
    total = len(chunk) + len(clear_pos)
    src = np.zeros(total, np.int64)  # the row each record comes from (a CLEAR: its first row)
    src[row_pos] = np.arange(len(chunk))
    src[clear_pos] = np.flatnonzero(clear_before)
    out, v = new_records(Kind.BOOK_DELTA, ts[src], ts[src], instrument_id, pp, sp, opts.source)
    v["level"], v["venue_sequence"] = BookLevel.L2, update_id[src]
    v["flags"] = np.where(snap[src], RecordFlag.INPUT | RecordFlag.SNAPSHOT, RecordFlag.INPUT)
    v["action"][row_pos] = np.where(snap, BookAction.ADD, BookAction.MODIFY)
    v["side"][row_pos], v["price"][row_pos], v["size"][row_pos] = side, price, qty
    v["action"][clear_pos] = BookAction.CLEAR
    return out, update_id[src]


def iter_binance_depth(paths: str | Path | Sequence[str | Path], instrument_id: int,
                       options: DepthOptions | None = None, **overrides: object
                       ) -> Iterator[np.ndarray]:
    """Yields RECORD_DTYPE arrays of BOOK_DELTA INPUT records (L2), in file order.

    ``paths`` is one file or several read as one stream (snapshot first, then updates): the
    inferred precisions cover all of them and time and update ids must not go backwards across
    them.
    """
    opts = attrs.evolve(options or DepthOptions(), **overrides)
    files = [str(paths)] if isinstance(paths, str | Path) else [str(p) for p in paths]
    chunks = (c for f in files for c in iter_row_chunks(f, opts.chunk_size, required=COLUMNS))
    pp, sp, chunks = with_precisions(chunks, (opts.price_precision, ("price",)),
                                     (opts.size_precision, ("qty",)))
    clock, ids = MonotonicClock(), MonotonicClock()
    held: np.ndarray | None = None
    held_ids = np.zeros(0, np.int64)
    prev_key: tuple[int, bool] | None = None
    for chunk in chunks:
        records, update_ids = _build(chunk, pp, sp, opts, instrument_id, clock, ids, prev_key)
        prev_key = (int(update_ids[-1]), chunk.columns["update_type"][-1] == "snap")
        if held is not None:
            yield from _finish(held, held_ids, int(update_ids[0]), opts.chunk_size)
        held, held_ids = records, update_ids
    if held is not None:
        yield from _finish(held, held_ids, None, opts.chunk_size)


def _finish(records: np.ndarray, update_ids: np.ndarray, next_id: int | None, chunk_size: int
            ) -> Iterator[np.ndarray]:
    """Sets LAST on each update id's last record (peeking at the next chunk) and splits."""
    following = np.concatenate((update_ids[1:], [-1 if next_id is None else next_id]))
    records["flags"] |= np.where(update_ids != following, np.uint16(RecordFlag.LAST),
                                 np.uint16(0))
    for start in range(0, len(records), chunk_size):
        yield records[start:start + chunk_size]
