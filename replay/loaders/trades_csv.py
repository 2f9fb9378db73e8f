"""Generic trades CSV -> TRADE records.

Design contract:
- header names ``timestamp`` (or ``ts_event``; int ns or ISO 8601), ``price``, ``size``, optional
  ``side`` / ``aggressor_side`` (buy, sell, b, s, buyer, seller; empty or ``unknown`` is no
  aggressor; case-insensitive), optional ``trade_id`` and ``ts_init``;
- a trade id made of digits is kept as that integer (< 2**64); any other id (a UUID) becomes
  the first 8 bytes of its BLAKE2b hash, little-endian: stable across runs and machines;
- refused, naming line, field and value: bad or non-exact prices, negative sizes, unknown sides,
  timestamps going backwards; precisions not given are inferred in the same pass
  (:func:`~replay.loaders.csv_common.sample_precisions`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import numpy as np

from domain.digest import blake2b
from domain.enums import AggressorSide
from domain.kinds import Kind
from replay.loaders.csv_common import (
    DEFAULT_CHUNK_SIZE,
    RowChunk,
    check_positive,
    iter_row_chunks,
    new_records,
    parse_decimals,
    with_precisions,
)
from replay.loaders.csv_time import TIME_COLUMNS, EventTimes

_SIDES = {"buy": AggressorSide.BUYER, "b": AggressorSide.BUYER, "buyer": AggressorSide.BUYER,
          "sell": AggressorSide.SELLER, "s": AggressorSide.SELLER,
          "seller": AggressorSide.SELLER, "": AggressorSide.NO_AGGRESSOR,
          "unknown": AggressorSide.NO_AGGRESSOR, "none": AggressorSide.NO_AGGRESSOR}


@attrs.frozen
class TradeOptions:
    """How a trades file is read. Precisions of None are inferred from the data."""

    price_precision: int | None = None
    size_precision: int | None = None
    infer_rows: int | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE
    source: int = 0


@attrs.frozen
class TradeColumns:
    """Column names of a trades file (they differ between vendors)."""

    price: str = "price"
    size: str = "size"
    side: tuple[str, ...] = ("side", "aggressor_side")
    trade_id: tuple[str, ...] = ("trade_id",)


def aggressor_sides(chunk: RowChunk, field: str) -> np.ndarray:
    """Returns the AggressorSide codes of a side column; DataError on an unknown word."""
    words = chunk.columns[field]
    uniques, inverse = np.unique(np.array(words, dtype=str), return_inverse=True)
    codes = np.zeros(len(uniques), np.uint8)
    for j, word in enumerate(uniques.tolist()):
        side = _SIDES.get(word.strip().lower())
        if side is None:
            i = int(np.flatnonzero(inverse == j)[0])
            raise chunk.fail(i, field, f"unknown aggressor side; expected one of {sorted(_SIDES)}")
        codes[j] = side
    return codes[inverse]


def trade_ids(chunk: RowChunk, field: str) -> np.ndarray:
    """Returns trade ids as uint64: integers as themselves, other text hashed (BLAKE2b-64)."""
    out = np.empty(len(chunk), np.uint64)
    for i, text in enumerate(chunk.columns[field]):
        if text.isascii() and text.isdigit() and int(text) < 2**64:
            out[i] = int(text)
        else:
            digest = blake2b(text.encode("utf-8"), digest_size=8).digest()
            out[i] = int.from_bytes(digest, "little")
    return out


def trade_records(chunk: RowChunk, ts_event: np.ndarray, ts_init: np.ndarray,
                  instrument_id: int, price_precision: int, size_precision: int,
                  columns: TradeColumns = TradeColumns(), source: int = 0) -> np.ndarray:
    """Builds the TRADE records of one chunk after checking every row of it."""
    price = parse_decimals(chunk, columns.price, price_precision)
    size = parse_decimals(chunk, columns.size, size_precision)
    check_positive(chunk, columns.price, price)
    check_positive(chunk, columns.size, size)
    out, t = new_records(Kind.TRADE, ts_event, ts_init, instrument_id, price_precision,
                         size_precision, source)
    t["price"], t["size"] = price, size
    side = next((c for c in columns.side if c in chunk.columns), None)
    if side is not None:
        t["aggressor_side"] = aggressor_sides(chunk, side)
    trade_id = next((c for c in columns.trade_id if c in chunk.columns), None)
    if trade_id is not None:
        t["trade_id"] = trade_ids(chunk, trade_id)
    return out


def iter_trades_csv(path: str | Path, instrument_id: int, options: TradeOptions | None = None,
                    **overrides: object) -> Iterator[np.ndarray]:
    """Yields RECORD_DTYPE arrays of at most ``chunk_size`` TRADE INPUT records, in file order."""
    options = attrs.evolve(options or TradeOptions(), **overrides)
    numbers = {**TIME_COLUMNS, "price": options.price_precision, "size": options.size_precision}
    chunks = iter_row_chunks(path, options.chunk_size, required=("price", "size"),
                             numbers=numbers)
    pp, sp, chunks = with_precisions(chunks, (options.price_precision, ("price",)),
                                     (options.size_precision, ("size",)), options.infer_rows)
    times = EventTimes()
    for chunk in chunks:
        ts_event, ts_init = times.read(chunk)
        yield trade_records(chunk, ts_event, ts_init, instrument_id, pp, sp,
                            source=options.source)
