"""``ringbus ingest``: data files converted into a catalog (:mod:`replay.catalog`).

Design contract: :func:`ingest` opens each file exactly as a backtest does
(:func:`replay.backtest_data.open_source`: format detection, instrument inference or
``instrument_id``, every loader check), stamps consecutive seqs and appends the records to that
instrument's journal (created when missing; a later file continues it and must not go back in
time), then rewrites the manifest with the entry's files, record count and ts_init range.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from journal.errors import TimestampOrderError
from journal.writer import JournalWriter
from replay.backtest_data import open_source
from replay.catalog import CatalogEntry, CatalogError, is_catalog, read_catalog, slug, write_catalog
from replay.config import DataConfig
from replay.data_source import DataSource


def ingest(paths: Sequence[str | Path], catalog: str | Path, *, instrument: str | None = None,
           options: dict[str, Any] | None = None) -> list[CatalogEntry]:
    """Converts ``paths`` into the catalog at ``catalog`` (created when missing); returns the
    entries written. Raises the loaders' errors for bad input (nothing of that file's failing
    chunk is journaled) and CatalogError when a file's data would go back in time."""
    return ingest_sources(((path, open_source(DataConfig(str(path), instrument_id=instrument,
                                                        options=dict(options or {})), ()))
                           for path in paths), catalog)


def ingest_sources(sources: Iterable[tuple[str | Path, DataSource]], catalog: str | Path
                   ) -> list[CatalogEntry]:
    """Appends each opened ``(path, source)`` to the catalog at ``catalog`` as :func:`ingest`
    does (sources are taken one at a time: a generator opens each after the last is written)."""
    root = Path(catalog)
    root.mkdir(parents=True, exist_ok=True)
    if any(root.iterdir()) and not is_catalog(root):
        raise CatalogError(f"{root}: exists, is not empty and is not a catalog")
    entries = {e.symbol: e for e in (read_catalog(root) if is_catalog(root) else [])}
    written: list[CatalogEntry] = []
    for path, source in sources:
        old = entries.get(source.symbol)
        head = source.instrument
        if old and (old.price_precision, old.size_precision) != (head.price_precision,
                                                                  head.size_precision):
            raise CatalogError(
                f"{path}: precisions {head.price_precision}/{head.size_precision} differ from the "
                f"catalog's {old.price_precision}/{old.size_precision} for {source.symbol}; "
                "pass --data-option price_precision=... size_precision=...")
        sub = old.dir if old else slug(source.symbol)
        count, first, last = 0, None, None
        with JournalWriter(root / sub, durability="none", notify=False) as writer:
            for chunk in source.chunks(0):
                records = np.array(chunk, copy=True)
                seq0 = writer.next_seq
                records["seq"] = np.arange(seq0, seq0 + len(records), dtype=np.uint64)
                try:
                    writer.on_batch(records)
                except TimestampOrderError as exc:
                    raise CatalogError(f"{path}: goes back in time against the catalog's "
                                       f"{source.symbol} data: {exc}") from None
                count += len(records)
                first = int(records["ts_init"][0]) if first is None else first
                last = int(records["ts_init"][-1])
        entry = CatalogEntry(
            symbol=source.symbol, dir=sub, format=source.format,
            book_level=int(source.book_level),
            price_precision=int(head.price_precision), size_precision=int(head.size_precision),
            records=count + (old.records if old else 0),
            first_ts_init=old.first_ts_init if old else int(first or 0),
            last_ts_init=int(last if last is not None else (old.last_ts_init if old else 0)),
            files=(*(old.files if old else ()), str(Path(path).resolve())))
        entries[source.symbol] = entry
        written.append(entry)
        write_catalog(root, list(entries.values()))
    return written
