"""Sniffs a data file's format from its name and first line, and returns its loader.

Design contract:
- reads at most the first line of the file (gzip transparently); never guesses silently: a file
  that matches no known format raises :class:`UnknownFormat` naming the path and its header;
- the rules, first match wins: ``.dbn`` / ``.dbn.zst`` -> ``dbn``; no header and
  ``YYYYMMDD HHMMSSmmm,`` -> ``histdata``; Binance depth columns -> ``binance_depth``; Tardis
  trades columns -> ``tardis_trades``; ``open,high,low,close`` -> ``bars``; exactly
  ``timestamp,bid,ask`` -> ``truefx``; ``bid,ask`` -> ``quotes``; ``price,size`` -> ``trades``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import numpy as np

from replay.loaders.bars_csv import iter_bars_csv
from replay.loaders.binance_depth import COLUMNS as DEPTH_COLUMNS
from replay.loaders.binance_depth import iter_binance_depth
from replay.loaders.csv_common import open_text
from replay.loaders.histdata import iter_histdata_quotes
from replay.loaders.quotes_csv import iter_quotes_csv
from replay.loaders.tardis import TRADE_COLUMNS as TARDIS_TRADE_COLUMNS
from replay.loaders.tardis import iter_tardis_trades
from replay.loaders.trades_csv import iter_trades_csv
from replay.loaders.truefx import iter_truefx_quotes

Loader = Callable[..., Iterator[np.ndarray]]
_HISTDATA = re.compile(r"\d{8} \d{9},")


class UnknownFormat(ValueError):
    """No loader recognises the file."""


@attrs.frozen
class DetectedFormat:
    """A format name and the loader to call as ``loader(path, instrument_id, **options)``."""

    name: str
    loader: Loader


def _dbn_loader() -> Loader:
    from replay.loaders.dbn import iter_dbn

    return iter_dbn


def detect_format(path: str | Path) -> DetectedFormat:
    """Returns the format of ``path`` and its loader; raises UnknownFormat if none fits."""
    name = Path(path).name.lower()
    if name.endswith((".dbn", ".dbn.zst")):
        return DetectedFormat("dbn", _dbn_loader())
    with open_text(path) as f:
        first = f.readline().strip()
    columns = {c.strip().lower() for c in first.split(",")}
    if _HISTDATA.match(first):
        return DetectedFormat("histdata", iter_histdata_quotes)
    rules: tuple[tuple[str, bool, Loader], ...] = (
        ("binance_depth", set(DEPTH_COLUMNS) <= columns, iter_binance_depth),
        ("tardis_trades", set(TARDIS_TRADE_COLUMNS) <= columns, iter_tardis_trades),
        ("bars", {"open", "high", "low", "close"} <= columns, iter_bars_csv),
        ("truefx", columns == {"timestamp", "bid", "ask"}, iter_truefx_quotes),
        ("quotes", {"bid", "ask"} <= columns, iter_quotes_csv),
        ("trades", {"price", "size"} <= columns, iter_trades_csv),
    )
    for format_name, matches, loader in rules:
        if matches:
            return DetectedFormat(format_name, loader)
    raise UnknownFormat(f"{path}: unknown data format; first line is {first[:200]!r}")
