"""The backtest's data: one stream per data file, its instrument inferred or configured.

Design contract:
- :func:`open_source` detects the file's format, opens its loader and reads its FIRST chunk
  before anything is journaled, so a file that cannot be opened, has an unknown format, names
  an unknown instrument or is bad from its first rows fails before the run starts; later bad
  rows fail when their chunk is read (before any record of that chunk is published);
- the instrument: the file's own (DBN metadata: ``SYMBOL.VENUE`` from the symbol and the
  dataset), else the data config's ``instrument_id`` (``--instrument``), else the file's symbol
  column (Tardis: ``SYMBOL.EXCHANGE``; Binance depth: ``SYMBOL.BINANCE``; other formats:
  ``SYMBOL.SIM``; one symbol in the first chunk, else refused), else a currency pair in the
  file name (``eurusd-...`` -> ``EUR/USD.SIM``); a file none of these identifies is refused
  with "give --instrument" (never a default symbol); when instruments are configured, a file
  whose instrument is not among them is refused (UnknownInstrumentError);
- precisions come from the configured instrument, else from the data (the loaders infer them);
  the instrument's kind from its symbol: ``BASE/QUOTE`` an FX pair, a DBN file a future, else
  an equity in USD;
- records stream in chunks (never the whole file in memory); loaders stamp instrument id 0 and
  :meth:`DataSource.chunks` stamps the interned id;
- a directory holding a data catalog (``ringbus ingest``) is opened by
  :func:`replay.catalog_source.open_catalog_source`, a journal (``ringbus record``) with
  :mod:`replay.journal_source`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from domain.enums import BookLevel
from domain.kinds import Kind
from replay.config import DataConfig, InstrumentConfig
from replay.data_source import FUTURE_ROOTS, DataSource, UnknownInstrumentError, make_instrument

_VENUES = {"binance_depth": "BINANCE"}
_CCY = "AUD|CAD|CHF|CNH|EUR|GBP|HKD|JPY|MXN|NOK|NZD|SEK|SGD|USD|ZAR"
_PAIR_IN_NAME = re.compile(rf"(?i)(?<![a-z])({_CCY})[-_/]?({_CCY})(?![a-z])")
_BOOK_LEVELS = {
    "dbn:mbo": BookLevel.L3,
    "dbn:mbp-10": BookLevel.L2,
    "binance_depth": BookLevel.L2,
    "tardis_book": BookLevel.L2,
}
_HEAD_VIEW = np.dtype({"names": ["price_precision", "size_precision"], "formats": ["u1", "u1"],
                       "offsets": [44, 45], "itemsize": 128})


def _symbol_for(cfg: DataConfig, fmt: str, path: str) -> tuple[str, bool]:
    """Returns (instrument symbol, inferred?) for a data file."""
    if fmt == "dbn":
        from replay.loaders.dbn import read_dbn_metadata

        meta = read_dbn_metadata(path)
        if len(meta.symbols) != 1:
            raise UnknownInstrumentError(
                f"{path}: a DBN file with {len(meta.symbols)} symbols {list(meta.symbols)} is not "
                "supported (one instrument per file)")
        venue = meta.dataset.split(".")[0] or "DBN"
        own = f"{meta.symbols[0]}.{venue}"
        if cfg.instrument_id is not None and cfg.instrument_id.split(".")[0] != meta.symbols[0]:
            raise UnknownInstrumentError(
                f"{path}: instrument {cfg.instrument_id!r} is not in this file, which holds "
                f"{own!r}")
        return (cfg.instrument_id or own), cfg.instrument_id is None
    if cfg.instrument_id is not None:
        return cfg.instrument_id, False
    own = _symbol_column(path, fmt)
    if own is not None:
        return own, True
    match = _PAIR_IN_NAME.search(Path(path).name)
    if match:
        return f"{match.group(1).upper()}/{match.group(2).upper()}.SIM", True
    raise UnknownInstrumentError(
        f"{path}: cannot tell which instrument this {fmt} file holds (no symbol column, no "
        "currency pair such as 'eurusd' in its name); give --instrument (e.g. --instrument "
        "EUR/USD.SIM) or instrument_id in the data config")


def _symbol_column(path: str, fmt: str) -> str | None:
    """Returns ``SYMBOL.VENUE`` from the file's ``symbol`` column (None without one); refuses
    a file whose first chunk holds more than one symbol."""
    from replay.loaders.csv_common import DEFAULT_CHUNK_SIZE, iter_row_chunks
    from replay.loaders.csv_read import read_header

    if fmt == "histdata" or "symbol" not in read_header(path):
        return None
    chunk = next(iter_row_chunks(path, DEFAULT_CHUNK_SIZE), None)
    if chunk is None:
        return None
    symbols = sorted(set(chunk.columns["symbol"].tolist()))
    venues = sorted(set(chunk.columns["exchange"].tolist())) if "exchange" in chunk.columns \
        else [_VENUES.get(fmt, "SIM")]
    if len(symbols) != 1 or len(venues) != 1 or not symbols[0].strip():
        raise UnknownInstrumentError(
            f"{path}: the symbol column holds {symbols[:5]} (venues {venues[:5]}); one instrument "
            "per file is supported: give --instrument")
    return f"{symbols[0].strip()}.{venues[0].strip().upper()}"


def _loader_options(fmt: str, icfg: InstrumentConfig | None) -> dict[str, Any]:
    if icfg is None:
        return {}
    out = {}
    if icfg.price_precision is not None:
        out["price_precision"] = icfg.price_precision
    if icfg.size_precision is not None and fmt != "dbn":
        out["size_precision"] = icfg.size_precision
    return out


def _dbn_precision(path: str, symbol: str) -> int:
    """Returns the price precision of a DBN file: the tick's for a known futures root (a later
    price off that grid fails with the loader's DbnDataError), else the fewest decimals that
    represent the first chunk's prices."""
    root = symbol.split(".")[0].rstrip("0123456789")[:-1] or symbol
    if root in FUTURE_ROOTS:
        return len(FUTURE_ROOTS[root][0].partition(".")[2])
    from replay.loaders.dbn import iter_dbn

    first = next(iter_dbn(path, 0, chunk_records=4096), None)
    return int(first.view(_HEAD_VIEW)["price_precision"][0]) if first is not None and len(first) \
        else 0


def _side_from_name(path: str) -> dict[str, Any]:
    """A bars file named ``...-bid...`` / ``...-ask...`` holds BID / ASK bars (1-minute unless a
    ``bar_spec`` says otherwise), so ``subscribe_bars(..., PriceType.BID)`` finds them."""
    from domain.enums import BarAggregation, PriceType
    from replay.loaders.bars_csv import BarSpec

    parts = set(Path(path).name.lower().replace(".", "-").replace("_", "-").split("-"))
    for word, price_type in (("bid", PriceType.BID), ("ask", PriceType.ASK)):
        if word in parts:
            return {"spec": BarSpec(1, BarAggregation.MINUTE, price_type)}
    return {}


def open_source(cfg: DataConfig, instruments: tuple[InstrumentConfig, ...]) -> DataSource:
    """Opens ``cfg``'s file and reads its first chunk (see the module contract)."""
    path = str(cfg.path)
    if Path(path).is_dir():
        from replay.catalog import is_catalog
        from replay.catalog_source import open_catalog_source

        if is_catalog(path):
            return open_catalog_source(cfg, instruments)
        from replay.journal_source import is_journal

        if is_journal(path):
            return _open_journal_source(cfg, instruments)
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such data file")
    from replay.loaders.detect import detect_format  # CSV machinery: only for files

    detected = detect_format(path, **cfg.options)
    fmt = detected.name if cfg.format == "auto" else cfg.format
    symbol, inferred = _symbol_for(cfg, fmt, path)
    configured = {i.id: i for i in instruments}
    if configured and symbol not in configured:
        raise UnknownInstrumentError(
            f"{path}: instrument {symbol!r} is not configured (configured: {sorted(configured)})")
    icfg = configured.get(symbol)
    options = _loader_options(fmt, icfg)
    level = BookLevel.L1
    if fmt == "dbn":
        from replay.loaders.dbn import read_dbn_metadata

        schema = read_dbn_metadata(path).schema
        level = _BOOK_LEVELS.get(f"dbn:{schema}", BookLevel.L1)
        options.setdefault("price_precision", _dbn_precision(path, symbol))
    else:
        level = _BOOK_LEVELS.get(fmt, BookLevel.L1)
    if fmt == "bars" and cfg.bar_spec is not None:
        from replay.loaders.bars_csv import BarSpec

        options["spec"] = BarSpec.parse(cfg.bar_spec)
    elif fmt == "bars":
        options.update(_side_from_name(path))
    stream = iter(detected.loader(path, 0, **options))
    first = next(stream, None)
    if first is None:
        raise ValueError(f"{path}: the data file holds no records")
    head = first.view(_HEAD_VIEW)
    pp, sp = int(head["price_precision"][0]), int(head["size_precision"][0])
    if int(first["kind"][0]) not in (Kind.QUOTE, Kind.TRADE, Kind.BAR, Kind.BOOK_DELTA):
        raise ValueError(f"{path}: first record has kind {int(first['kind'][0])}, not market data")
    instrument = make_instrument(symbol, fmt, pp, sp, icfg)
    return DataSource(path, fmt, symbol, instrument, level, inferred and icfg is None, first,
                      stream)


def _open_journal_source(cfg: DataConfig, instruments: tuple[InstrumentConfig, ...]
                         ) -> DataSource:
    """A DataSource over one instrument's market data in the journal at ``cfg.path``."""
    from replay.journal_source import head_of, iter_journal_market_data, journal_instruments

    path = str(cfg.path)
    held = journal_instruments(path)
    if cfg.instrument_id is not None and cfg.instrument_id not in held:
        raise UnknownInstrumentError(f"{path}: the journal holds no market data of "
                                     f"{cfg.instrument_id!r}; it holds {sorted(held)}")
    if cfg.instrument_id is None and len(held) != 1:
        raise UnknownInstrumentError(f"{path}: the journal holds market data of {sorted(held)}; "
                                     "give --instrument to pick one")
    symbol = cfg.instrument_id or next(iter(held))
    configured = {i.id: i for i in instruments}
    if configured and symbol not in configured:
        raise UnknownInstrumentError(f"{path}: instrument {symbol!r} is not configured "
                                     f"(configured: {sorted(configured)})")
    stream = iter_journal_market_data(path, held[symbol])
    first = next(stream)
    pp, sp, level = head_of(first)
    icfg = configured.get(symbol)
    return DataSource(path, "journal", symbol, make_instrument(symbol, "journal", pp, sp, icfg),
                      level, cfg.instrument_id is None and icfg is None, first, stream)
