"""A catalog instrument read back as a backtest data source, at journal read speed.

Design contract: :func:`open_catalog_source` picks the catalog entry (the config's
``instrument_id``, or the only one), rebuilds its instrument exactly as
:func:`replay.backtest_data.open_source` would for the original file (with
:func:`replay.data_source.make_instrument`) (configured instrument
fields win), and streams the journal's records in chunks of about ``CHUNK_RECORDS`` records,
copied out of the map with ``seq`` cleared (the ring stamps it); its first chunk is read before
the run starts, so a damaged journal fails first. The source has the interface of
:class:`replay.data_source.DataSource` (``format`` is ``"catalog"``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from domain.enums import BookLevel
from domain.kinds import RECORD_DTYPE
from replay.catalog import CatalogEntry, CatalogError, read_catalog
from replay.config import DataConfig, InstrumentConfig
from replay.data_source import DataSource, UnknownInstrumentError, make_instrument

CHUNK_RECORDS = 1 << 16


def _entry(cfg: DataConfig, entries: list[CatalogEntry]) -> CatalogEntry:
    if cfg.instrument_id is not None:
        found = [e for e in entries if e.symbol == cfg.instrument_id]
        if not found:
            raise CatalogError(f"{cfg.path}: the catalog holds no {cfg.instrument_id!r}; it "
                               f"holds {[e.symbol for e in entries]}")
        return found[0]
    if len(entries) != 1:
        raise CatalogError(f"{cfg.path}: the catalog holds {[e.symbol for e in entries]}; give "
                           "--instrument to pick one")
    return entries[0]


def iter_catalog_records(path: str | Path, chunk_records: int = CHUNK_RECORDS
                         ) -> Iterator[np.ndarray]:
    """Yields the journal's records in chunks of about ``chunk_records`` (copies, seq 0)."""
    from journal.reader import JournalReader
    from journal.store import Journal

    with Journal.open(path, readonly=True) as journal:
        parts: list[np.ndarray] = []
        n = 0
        for batch in JournalReader(journal).batches():
            parts.append(batch)
            n += len(batch)
            if n >= chunk_records:
                yield _take(parts)
                parts, n = [], 0
        if parts:
            yield _take(parts)


def _take(parts: list[np.ndarray]) -> np.ndarray:
    out = np.concatenate(parts).view(RECORD_DTYPE) if len(parts) > 1 else \
        np.array(parts[0], copy=True).view(RECORD_DTYPE)
    out["seq"] = 0
    return out


def open_catalog_source(cfg: DataConfig, instruments: tuple[InstrumentConfig, ...]
                        ) -> DataSource:
    """Returns a DataSource over one instrument of the catalog at ``cfg.path``."""
    entry = _entry(cfg, read_catalog(cfg.path))
    configured = {i.id: i for i in instruments}
    if configured and entry.symbol not in configured:
        raise UnknownInstrumentError(f"{cfg.path}: instrument {entry.symbol!r} is not configured "
                                     f"(configured: {sorted(configured)})")
    icfg = configured.get(entry.symbol)
    pp, sp = entry.price_precision, entry.size_precision
    instrument = make_instrument(entry.symbol, entry.format, pp, sp, icfg)
    stream = iter_catalog_records(Path(cfg.path) / entry.dir)
    first = next(stream, None)
    if first is None:
        raise CatalogError(f"{cfg.path}: the catalog's {entry.symbol} journal holds no records")
    return DataSource(str(cfg.path), "catalog", entry.symbol, instrument,
                      BookLevel(entry.book_level), cfg.instrument_id is None and icfg is None,
                      first, stream)
