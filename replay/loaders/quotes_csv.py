"""Generic quotes CSV -> QUOTE records.

Design contract:
- header names ``timestamp`` (or ``ts_event``; int ns or ISO 8601), ``bid``, ``ask``, optional
  ``bid_size``, ``ask_size`` and ``ts_init``; other columns are ignored;
- without sizes, both sizes are ``default_size`` (1,000,000 by default, an FX convention);
- without ``price_precision`` / ``size_precision`` they are inferred in the same pass from the
  first ``infer_rows`` rows (default :data:`~replay.loaders.csv_common.INFER_ROWS`, read ahead);
  a later row needing more decimals is an error naming its line, never rounded;
- refused, naming line, field and value: NaN / inf / non-numeric prices, negative sizes, prices
  not representable at the precision, timestamps going backwards, and a crossed quote
  (bid > ask) unless ``allow_crossed=True`` (the default refuses; a locked quote bid == ask is
  accepted).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import attrs
import numpy as np

from domain.kinds import Kind
from replay.loaders.csv_common import (
    DEFAULT_CHUNK_SIZE,
    RowChunk,
    check_positive,
    check_precision,
    decimal_to_raw,
    iter_row_chunks,
    new_records,
    parse_decimals,
    with_precisions,
)
from replay.loaders.csv_time import TIME_COLUMNS, EventTimes

FX_DEFAULT_SIZE = 1_000_000


@attrs.frozen
class QuoteOptions:
    """How a quotes file is read. Precisions of None are inferred from the data."""

    price_precision: int | None = None
    size_precision: int | None = None
    default_size: int | str | Decimal = FX_DEFAULT_SIZE
    allow_crossed: bool = False
    infer_rows: int | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE
    source: int = 0


def resolve_precisions(chunks: Iterator[RowChunk], options: QuoteOptions
                       ) -> tuple[int, int, Iterator[RowChunk]]:
    """Returns (price_precision, size_precision, chunks), inferring those not given from the
    first ``options.infer_rows`` rows in the same pass (see the module contract)."""
    pp, sp, chunks = with_precisions(chunks, (options.price_precision, ("bid", "ask")),
                                     (options.size_precision, ("bid_size", "ask_size")),
                                     options.infer_rows)
    if options.size_precision is None:
        first = next(chunks, None)
        chunks = itertools.chain([first] if first is not None else [], chunks)
        if first is not None and "bid_size" not in first.columns:
            sp = check_precision("size_precision", _decimals(str(options.default_size)))
    return pp, sp, chunks


def _decimals(text: str) -> int:
    frac = text.partition(".")[2].rstrip("0")
    return len(frac)


def quote_records(chunk: RowChunk, ts_event: np.ndarray, ts_init: np.ndarray, instrument_id: int,
                  price_precision: int, size_precision: int, options: QuoteOptions
                  ) -> np.ndarray:
    """Builds the QUOTE records of one chunk after checking every row of it."""
    bid = parse_decimals(chunk, "bid", price_precision)
    ask = parse_decimals(chunk, "ask", price_precision)
    check_positive(chunk, "bid", bid)
    check_positive(chunk, "ask", ask)
    if not options.allow_crossed:
        crossed = np.flatnonzero(bid > ask)
        if crossed.size:
            i = int(crossed[0])
            raise chunk.fail(i, "bid", f"crossed quote: bid > ask {chunk.columns['ask'][i]!r} "
                             "(pass allow_crossed=True to accept crossed quotes)")
    out, q = new_records(Kind.QUOTE, ts_event, ts_init, instrument_id, price_precision,
                         size_precision, options.source)
    q["bid"], q["ask"] = bid, ask
    for field in ("bid_size", "ask_size"):
        if field in chunk.columns:
            size = parse_decimals(chunk, field, size_precision)
            check_positive(chunk, field, size)
            q[field] = size
        else:
            q[field] = default_size_raw(options.default_size, size_precision)
    return out


def default_size_raw(size: int | str | Decimal, size_precision: int) -> int:
    """Returns the default size as a raw int; ValueError if it is negative or not exact."""
    try:
        raw = decimal_to_raw(str(size), size_precision)
    except ValueError as exc:
        raise ValueError(f"default_size {size!r}: {exc}") from None
    if raw < 0:
        raise ValueError(f"default_size must not be negative, got {size!r}")
    return raw


def number_columns(options: QuoteOptions) -> dict[str, int | None]:
    """Returns the columns a quotes file holds numbers in, with the decimals given for each."""
    pp, sp = options.price_precision, options.size_precision
    return {**TIME_COLUMNS, "bid": pp, "ask": pp, "bid_size": sp, "ask_size": sp}


def iter_quotes_csv(path: str | Path, instrument_id: int, options: QuoteOptions | None = None,
                    **overrides: object) -> Iterator[np.ndarray]:
    """Yields RECORD_DTYPE arrays of at most ``chunk_size`` QUOTE INPUT records, in file order.

    ``overrides`` are :class:`QuoteOptions` fields (``iter_quotes_csv(p, 7, price_precision=5)``).
    """
    options = attrs.evolve(options or QuoteOptions(), **overrides)
    chunks = iter_row_chunks(path, options.chunk_size, required=("bid", "ask"),
                             numbers=number_columns(options))
    pp, sp, chunks = resolve_precisions(chunks, options)
    times = EventTimes()
    for chunk in chunks:
        ts_event, ts_init = times.read(chunk)
        yield quote_records(chunk, ts_event, ts_init, instrument_id, pp, sp, options)
