"""``ringbus ingest`` of data files and NautilusTrader Parquet catalogs alike.

Design contract: :func:`ingest_paths` opens each path in turn, a NautilusTrader catalog directory
(``fmt="nautilus-parquet"``, or detected by its layout when ``fmt="auto"``) with
:func:`replay.parquet_import.nautilus_sources` (one source per instrument), anything else as
:func:`replay.catalog_ingest.ingest` does, and appends them all to one catalog. It returns the
entries written and one note per catalog directory it did not read (instrument definitions,
custom data), so nothing is left out silently.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from replay.catalog import CatalogEntry, is_catalog
from replay.data_source import DataSource

FORMATS = ("auto", "nautilus-parquet")


def _is_nautilus(path: Path, fmt: str) -> bool:
    if fmt == "auto" and (not path.is_dir() or is_catalog(path)):
        return False  # a data file or a ringbus catalog: no Parquet machinery imported
    from replay.parquet_import import is_nautilus_catalog

    if fmt == "nautilus-parquet" and not is_nautilus_catalog(path):
        raise ValueError(f"{path}: not a NautilusTrader catalog (no data/quote_tick, "
                         "data/trade_tick, data/bar or data/order_book_delta directory)")
    return is_nautilus_catalog(path)


def ingest_paths(paths: Sequence[str | Path], catalog: str | Path, *, fmt: str = "auto",
                 instrument: str | None = None, options: dict[str, Any] | None = None
                 ) -> tuple[list[CatalogEntry], list[str]]:
    """Ingests ``paths`` into ``catalog``; returns (entries written, notes)."""
    from replay.catalog_ingest import ingest_sources

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {list(FORMATS)}, got {fmt!r}")
    notes: list[str] = []

    def sources() -> Iterator[tuple[str | Path, DataSource]]:
        for path in paths:
            if _is_nautilus(Path(path), fmt):
                from replay.parquet_import import nautilus_sources, skipped_types

                notes.extend(f"{path}: data/{name} not read (not market data ringbus imports)"
                             for name in skipped_types(path))
                for source in nautilus_sources(path, instrument=instrument, options=options):
                    yield path, source
            else:
                from replay.backtest_data import open_source
                from replay.config import DataConfig

                yield path, open_source(DataConfig(str(path), instrument_id=instrument,
                                                   options=dict(options or {})), ())

    return ingest_sources(sources(), catalog), notes
