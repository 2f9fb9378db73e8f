"""A data catalog in the journal's own format: files validated and converted once, then read back
at journal read speed.

Design contract:
- a catalog is a directory holding ``catalog.json`` (JSON, never code) and one journal per
  instrument (``<dir>/<slug>/``, an ordinary LMDB journal of INPUT records: ``ringbus verify``
  checks it like any other);
- :func:`replay.catalog_ingest.ingest` writes catalogs; the entry records the source files,
  format, book level, precisions, record count and ts_init range;
- :func:`read_catalog` returns the entries; :func:`open_catalog_source` (in
  :mod:`replay.catalog_source`) turns one into a backtest data source.
- this module is the catalog's format only: it imports no data loader, so the loaders (which
  open catalogs) and ingest (which uses the loaders) both import it and nothing imports back.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

import attrs

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


def write_catalog(path: Path, entries: Sequence[CatalogEntry]) -> None:
    doc = {"format": FORMAT, "version": VERSION,
           "instruments": [attrs.asdict(e) for e in sorted(entries, key=lambda e: e.symbol)]}
    tmp = path / f".{CATALOG_FILE}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path / CATALOG_FILE)


def slug(symbol: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", symbol)
