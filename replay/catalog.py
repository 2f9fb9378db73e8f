"""A data catalog in the journal's own format: files validated and converted once, then read back
at journal read speed.

Design contract:
- a catalog is a directory holding ``catalog.json`` (JSON, never code) and one journal per
  instrument (``<dir>/<slug>/``, an ordinary LMDB journal of INPUT records: ``ringbus verify``
  checks it like any other);
- :func:`ingest` opens each file exactly as a backtest does (:func:`replay.backtest_data.open_source`:
  format detection, instrument inference or ``instrument_id``, every loader check), stamps
  consecutive seqs and appends the records to that instrument's journal (created when missing;
  a later file continues it and must not go back in time); the entry records the source files,
  format, book level, precisions, record count and ts_init range;
- :func:`read_catalog` returns the entries; :func:`open_catalog_source` (in
  :mod:`replay.catalog_source`) turns one into a backtest data source.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from replay.config import DataConfig

CATALOG_FILE = "catalog.json"
FORMAT = "ringbus-catalog"
VERSION = 1


class CatalogError(ValueError):
    """A directory is not a catalog, or a catalog entry cannot be used."""


@attrs.frozen
class CatalogEntry:
    """One instrument of a catalog: its journal (``dir``, relative to the catalog) and data."""

    symbol: str
    dir: str
    format: str
    book_level: int
    price_precision: int
    size_precision: int
    records: int
    first_ts_init: int
    last_ts_init: int
    files: tuple[str, ...]


def is_catalog(path: str | Path) -> bool:
    """Returns True if ``path`` is a directory holding a catalog manifest."""
    return (Path(path) / CATALOG_FILE).is_file()


def read_catalog(path: str | Path) -> list[CatalogEntry]:
    """Returns the catalog's entries; CatalogError if ``path`` holds no valid manifest."""
    file = Path(path) / CATALOG_FILE
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"{path}: not a data catalog (no {CATALOG_FILE})") from None
    except (OSError, ValueError) as exc:
        raise CatalogError(f"{file}: unreadable catalog manifest: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise CatalogError(f"{file}: not a {FORMAT} version {VERSION} manifest")
    try:
        return [CatalogEntry(**{**e, "files": tuple(e["files"])}) for e in doc["instruments"]]
    except (KeyError, TypeError) as exc:
        raise CatalogError(f"{file}: bad catalog entry: {exc}") from None


def _write_catalog(path: Path, entries: Sequence[CatalogEntry]) -> None:
    doc = {"format": FORMAT, "version": VERSION,
           "instruments": [attrs.asdict(e) for e in sorted(entries, key=lambda e: e.symbol)]}
    tmp = path / f".{CATALOG_FILE}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path / CATALOG_FILE)


def _slug(symbol: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", symbol)


def ingest(paths: Sequence[str | Path], catalog: str | Path, *, instrument: str | None = None,
           options: dict[str, Any] | None = None) -> list[CatalogEntry]:
    """Converts ``paths`` into the catalog at ``catalog`` (created when missing); returns the
    entries written. Raises the loaders' errors for bad input (nothing of that file's failing
    chunk is journaled) and CatalogError when a file's data would go back in time."""
    from journal.errors import TimestampOrderError
    from journal.writer import JournalWriter
    from replay.backtest_data import open_source

    root = Path(catalog)
    root.mkdir(parents=True, exist_ok=True)
    if any(root.iterdir()) and not is_catalog(root):
        raise CatalogError(f"{root}: exists, is not empty and is not a catalog")
    entries = {e.symbol: e for e in (read_catalog(root) if is_catalog(root) else [])}
    written: list[CatalogEntry] = []
    for path in paths:
        source = open_source(DataConfig(str(path), instrument_id=instrument,
                                        options=dict(options or {})), ())
        old = entries.get(source.symbol)
        head = source.instrument
        if old and (old.price_precision, old.size_precision) != (head.price_precision,
                                                                  head.size_precision):
            raise CatalogError(
                f"{path}: precisions {head.price_precision}/{head.size_precision} differ from the "
                f"catalog's {old.price_precision}/{old.size_precision} for {source.symbol}; "
                "pass --data-option price_precision=... size_precision=...")
        sub = old.dir if old else _slug(source.symbol)
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
        _write_catalog(root, list(entries.values()))
    return written
