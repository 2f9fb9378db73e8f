"""Tardis.dev CSV: ``trades`` -> TRADE records, ``incremental_book_L2`` -> BOOK_DELTA (L2).

Design contract, trades (e.g. BitMEX XBTUSD):
- columns ``exchange,symbol,timestamp,local_timestamp,id,side,price,amount``; ``timestamp`` (the
  exchange's, µs) becomes ``ts_event`` and ``local_timestamp`` (Tardis' receive time, µs)
  ``ts_init``; neither may go backwards;
- ``side`` buy / sell / unknown is the aggressor; ``id`` (often a UUID) becomes ``trade_id`` as in
  :func:`replay.loaders.trades_csv.trade_ids`;

Design contract, ``incremental_book_L2`` (e.g. Deribit BTC-PERPETUAL), aligned with
:class:`engines.book.l2.L2Book` exactly as :mod:`replay.loaders.binance_depth`:
- columns ``exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount``; µs
  ``timestamp`` -> ``ts_event``, µs ``local_timestamp`` -> ``ts_init``; neither may go backwards;
- each run of ``is_snapshot=true`` rows becomes a CLEAR, then one ADD per row, all flagged
  SNAPSHOT; each update row (``false``) a MODIFY to ``amount`` (0 removes the level);
- ``side`` ``bid`` is BUY, ``ask`` SELL; ``venue_sequence`` is 0 (Tardis carries none);
- LAST marks the last record of each group of rows sharing ``timestamp``, ``local_timestamp``
  and ``is_snapshot`` (one venue message); chunks hold at most ``chunk_size`` records;
- refused, naming line, field and value: unknown side or is_snapshot, NaN / non-exact prices,
  negative prices or amounts, timestamps going backwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import numpy as np

from domain.enums import BookAction, BookLevel, OrderSide, RecordFlag
from domain.kinds import Kind
from replay.loaders.binance_depth import DepthOptions
from replay.loaders.csv_common import (
    MonotonicClock,
    RowChunk,
    check_positive,
    iter_row_chunks,
    new_records,
    parse_decimals,
    parse_int_column,
    with_precisions,
)
from replay.loaders.csv_headers import TARDIS_BOOK_COLUMNS as BOOK_COLUMNS
from replay.loaders.csv_headers import TARDIS_TRADE_COLUMNS as TRADE_COLUMNS
from replay.loaders.trades_csv import TradeColumns, TradeOptions, trade_records

_BOOK_SIDES = {"bid": OrderSide.BUY, "ask": OrderSide.SELL}
_SNAPSHOT = {"true": True, "false": False}
_TARDIS_TRADES = TradeColumns(price="price", size="amount", side=("side",), trade_id=("id",))


def iter_tardis_trades(path: str | Path, instrument_id: int, options: TradeOptions | None = None,
                       **overrides: object) -> Iterator[np.ndarray]:
    """Yields RECORD_DTYPE arrays of at most ``chunk_size`` TRADE INPUT records, in file order."""
    opts = attrs.evolve(options or TradeOptions(), **overrides)
    chunks = iter_row_chunks(path, opts.chunk_size, required=TRADE_COLUMNS)
    pp, sp, chunks = with_precisions(chunks, (opts.price_precision, ("price",)),
                                     (opts.size_precision, ("amount",)), opts.infer_rows)
    event_clock, init_clock = MonotonicClock(), MonotonicClock()
    for chunk in chunks:
        ts_event = parse_int_column(chunk, "timestamp", scale=1_000)
        event_clock.check(chunk, "timestamp", ts_event)
        ts_init = parse_int_column(chunk, "local_timestamp", scale=1_000)
        init_clock.check(chunk, "local_timestamp", ts_init)
        yield trade_records(chunk, ts_event, ts_init, instrument_id, pp, sp, _TARDIS_TRADES,
                            opts.source)


def _codes(chunk: RowChunk, field: str, table: dict[str, int]) -> np.ndarray:
    """Maps a word column through ``table``; DataError naming the first unknown word."""
    words = np.array(chunk.columns[field], dtype=str)
    uniques, inverse = np.unique(words, return_inverse=True)
    for j, word in enumerate(uniques.tolist()):
        if word not in table:
            i = int(np.flatnonzero(inverse == j)[0])
            raise chunk.fail(i, field, f"expected one of {sorted(table)}")
    return np.array([table[w] for w in uniques.tolist()], np.int64)[inverse]


def _book_chunk(chunk: RowChunk, pp: int, sp: int, opts: DepthOptions, instrument_id: int,
                clocks: tuple[MonotonicClock, MonotonicClock], prev_snap: bool
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns (records, group key per row, record index per row); LAST is not set yet."""
    ts_event = parse_int_column(chunk, "timestamp", scale=1_000)
    clocks[0].check(chunk, "timestamp", ts_event)
    ts_init = parse_int_column(chunk, "local_timestamp", scale=1_000)
    clocks[1].check(chunk, "local_timestamp", ts_init)
    snap = _codes(chunk, "is_snapshot", _SNAPSHOT).astype(bool)
    side = _codes(chunk, "side", _BOOK_SIDES).astype(np.uint8)
    price, amount = parse_decimals(chunk, "price", pp), parse_decimals(chunk, "amount", sp)
    check_positive(chunk, "price", price)
    check_positive(chunk, "amount", amount)
    clear_before = snap & ~np.concatenate(([prev_snap], snap[:-1]))
    row_pos = np.arange(len(chunk)) + np.cumsum(clear_before)
    clear_pos = row_pos[clear_before] - 1
    src = np.zeros(len(chunk) + len(clear_pos), np.int64)  # a CLEAR takes its first row's times
    src[row_pos] = np.arange(len(chunk))
    src[clear_pos] = np.flatnonzero(clear_before)
    out, v = new_records(Kind.BOOK_DELTA, ts_event[src], ts_init[src], instrument_id, pp, sp,
                         opts.source)
    v["level"] = BookLevel.L2
    v["flags"] = np.where(snap[src], RecordFlag.INPUT | RecordFlag.SNAPSHOT, RecordFlag.INPUT)
    v["action"][row_pos] = np.where(snap, BookAction.ADD, BookAction.MODIFY)
    v["side"][row_pos], v["price"][row_pos], v["size"][row_pos] = side, price, amount
    v["action"][clear_pos] = BookAction.CLEAR
    keys = np.stack((ts_event, ts_init, snap.astype(np.int64)), axis=1)
    return out, keys, row_pos


def iter_tardis_book_l2(path: str | Path, instrument_id: int, options: DepthOptions | None = None,
                        **overrides: object) -> Iterator[np.ndarray]:
    """Yields RECORD_DTYPE arrays of at most ``chunk_size`` BOOK_DELTA INPUT records (L2), in
    file order (see the module contract)."""
    opts = attrs.evolve(options or DepthOptions(), **overrides)
    chunks = iter_row_chunks(path, opts.chunk_size, required=BOOK_COLUMNS)
    pp, sp, chunks = with_precisions(chunks, (opts.price_precision, ("price",)),
                                     (opts.size_precision, ("amount",)))
    clocks = (MonotonicClock(), MonotonicClock())
    held: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    prev_snap = False
    for chunk in chunks:
        built = _book_chunk(chunk, pp, sp, opts, instrument_id, clocks, prev_snap)
        prev_snap = bool(built[1][-1, 2])
        if held is not None:
            yield from _finish_book(*held, built[1][0], opts.chunk_size)
        held = built
    if held is not None:
        yield from _finish_book(*held, None, opts.chunk_size)


def _finish_book(records: np.ndarray, keys: np.ndarray, row_pos: np.ndarray,
                 next_key: np.ndarray | None, chunk_size: int) -> Iterator[np.ndarray]:
    """Sets LAST on each group's last row (peeking at the next chunk's first row) and splits."""
    following = np.concatenate((keys[1:], [np.full(3, -1) if next_key is None else next_key]))
    last = (keys != following).any(axis=1)
    records["flags"][row_pos[last]] |= np.uint16(RecordFlag.LAST)
    for start in range(0, len(records), chunk_size):
        yield records[start:start + chunk_size]
