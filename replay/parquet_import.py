"""A NautilusTrader ParquetDataCatalog read as ringbus data sources, one per instrument.

Design contract:
- :func:`is_nautilus_catalog` recognises the layout: a ``data/`` directory holding at least one
  of ``quote_tick``, ``trade_tick``, ``bar``, ``order_book_delta``;
- :func:`nautilus_sources` opens every file's metadata first (a bad file fails before any data
  is read), groups the files by instrument (``--instrument`` picks one), and returns one
  :class:`~replay.data_source.DataSource` per instrument: each stream (a type, or a bar type) in
  file order, the streams merged by ``ts_init`` (ties: quotes, trades, bars, deltas, in that
  order), every record at the instrument's precisions (the largest any of its files declares:
  raising a precision is exact; a configured one that is too small fails on the first value
  that needs more decimals);
- other directories under ``data/`` (instrument definitions, custom data, depth-10 snapshots)
  are not market data ringbus imports: :func:`skipped_types` names them for the caller to say so.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from domain.enums import BookLevel
from replay.data_source import DataSource, UnknownInstrumentError, make_instrument
from replay.parquet_layout import DELTA, TYPES, parse_file_name
from replay.parquet_orders import OrderSizes
from replay.parquet_read import (
    NautilusFile,
    ParquetFormatError,
    StreamClock,
    iter_file_records,
    open_file,
)
from replay.sources import merge

FORMAT = "nautilus_parquet"
_OPTIONS = ("price_precision", "size_precision", "allow_crossed")


def is_nautilus_catalog(path: str | Path) -> bool:
    """Returns True if ``path`` holds NautilusTrader's catalog layout."""
    data = Path(path) / "data"
    return data.is_dir() and any((data / kind).is_dir() for kind in TYPES)


def skipped_types(path: str | Path) -> list[str]:
    """Returns the ``data/`` subdirectories that :func:`nautilus_sources` does not read."""
    data = Path(path) / "data"
    return sorted(p.name for p in data.iterdir() if p.is_dir() and p.name not in TYPES)


def _files(root: Path) -> dict[str, dict[tuple[str, str], list[NautilusFile]]]:
    """Returns {instrument id: {(type, directory): files in ts order}}."""
    out: dict[str, dict[tuple[str, str], list[NautilusFile]]] = {}
    for kind in TYPES:
        for folder in sorted((root / "data" / kind).glob("*")):
            if not folder.is_dir():
                continue
            named = []
            for file in folder.glob("*.parquet"):
                interval = parse_file_name(file.name)
                if interval is None:
                    raise ParquetFormatError(f"{file}: not named <start>_<end>.parquet as "
                                             "NautilusTrader names catalog files")
                named.append((interval, file))
            for _, file in sorted(named):
                f = open_file(file, kind)
                out.setdefault(f.instrument_id, {}).setdefault((kind, folder.name), []).append(f)
    return out


def _stream(files: list[NautilusFile], pp: int, sp: int, level: BookLevel,
            allow_crossed: bool) -> Iterator[np.ndarray]:
    clock, orders = StreamClock(), OrderSizes()
    for f in files:
        yield from iter_file_records(f, pp, sp, clock, level=level, orders=orders,
                                     allow_crossed=allow_crossed)


def _level(streams: dict[tuple[str, str], list[NautilusFile]]) -> BookLevel:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    deltas = [f for (kind, _), files in streams.items() if kind == DELTA for f in files]
    if not deltas:
        return BookLevel.L1
    for f in deltas:
        ids = pq.read_table(f.path, columns=["order_id"]).column("order_id")
        if len(ids) and pc.max(ids).as_py():
            return BookLevel.L3
    return BookLevel.L2


def nautilus_sources(path: str | Path, *, instrument: str | None = None,
                     options: dict[str, Any] | None = None) -> list[DataSource]:
    """Returns one DataSource per instrument of the NautilusTrader catalog at ``path`` (only
    ``instrument`` when given); options: price_precision, size_precision, allow_crossed."""
    opts = dict(options or {})
    unknown = sorted(set(opts) - set(_OPTIONS))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for a NautilusTrader catalog; known: "
                         f"{list(_OPTIONS)}")
    root = Path(path)
    by_instrument = _files(root)
    if instrument is not None:
        if instrument not in by_instrument:
            raise UnknownInstrumentError(f"{root}: the NautilusTrader catalog holds no "
                                         f"{instrument!r}; it holds {sorted(by_instrument)}")
        by_instrument = {instrument: by_instrument[instrument]}
    if not by_instrument:
        raise ParquetFormatError(f"{root}: the NautilusTrader catalog holds no data files")
    sources = []
    for symbol, streams in sorted(by_instrument.items()):
        files = [f for group in streams.values() for f in group]
        pp = int(opts.get("price_precision", max(f.price_precision for f in files)))
        sp = int(opts.get("size_precision", max(f.size_precision for f in files)))
        level = _level(streams)
        merged = merge([_stream(group, pp, sp, level, bool(opts.get("allow_crossed")))
                        for _, group in sorted(streams.items(), key=_stream_order)])
        first = next(merged, None)
        if first is None:
            raise ParquetFormatError(f"{root}: the catalog's {symbol} files hold no rows")
        sources.append(DataSource(str(root), FORMAT, symbol,
                                  make_instrument(symbol, FORMAT, pp, sp, None), level, False,
                                  first, merged))
    return sources


def _stream_order(item: tuple[tuple[str, str], list[NautilusFile]]) -> tuple[int, str]:
    (kind, folder), _ = item
    return TYPES.index(kind), folder
