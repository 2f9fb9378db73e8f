"""Tardis.dev ``trades`` CSV (e.g. BitMEX XBTUSD) -> TRADE records.

Design contract:
- columns ``exchange,symbol,timestamp,local_timestamp,id,side,price,amount``; ``timestamp`` (the
  exchange's, µs) becomes ``ts_event`` and ``local_timestamp`` (Tardis' receive time, µs)
  ``ts_init``; neither may go backwards;
- ``side`` buy / sell / unknown is the aggressor; ``id`` (often a UUID) becomes ``trade_id`` as in
  :func:`replay.loaders.trades_csv.trade_ids`;
- Tardis ``incremental_book_L2`` files are not supported yet (see docs/data.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import numpy as np

from replay.loaders.csv_common import (
    MonotonicClock,
    check_precision,
    infer_precision,
    iter_row_chunks,
    parse_int_column,
)
from replay.loaders.trades_csv import TradeColumns, TradeOptions, trade_records

TRADE_COLUMNS = ("timestamp", "local_timestamp", "id", "side", "price", "amount")
_TARDIS_TRADES = TradeColumns(price="price", size="amount", side=("side",), trade_id=("id",))


def iter_tardis_trades(path: str | Path, instrument_id: int, options: TradeOptions | None = None,
                       **overrides: object) -> Iterator[np.ndarray]:
    """Yields RECORD_DTYPE arrays of at most ``chunk_size`` TRADE INPUT records, in file order."""
    opts = attrs.evolve(options or TradeOptions(), **overrides)
    path = str(path)
    pp, sp = opts.price_precision, opts.size_precision
    pp = infer_precision(path, ("price",), max_rows=opts.infer_rows) if pp is None else pp
    sp = infer_precision(path, ("amount",), max_rows=opts.infer_rows) if sp is None else sp
    pp, sp = check_precision("price_precision", pp), check_precision("size_precision", sp)
    event_clock, init_clock = MonotonicClock(), MonotonicClock()
    for chunk in iter_row_chunks(path, opts.chunk_size, required=TRADE_COLUMNS):
        ts_event = parse_int_column(chunk, "timestamp", scale=1_000)
        event_clock.check(chunk, "timestamp", ts_event)
        ts_init = parse_int_column(chunk, "local_timestamp", scale=1_000)
        init_clock.check(chunk, "local_timestamp", ts_init)
        yield trade_records(chunk, ts_event, ts_init, instrument_id, pp, sp, _TARDIS_TRADES,
                            opts.source)
