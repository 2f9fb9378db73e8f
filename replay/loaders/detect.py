"""Sniffs a data file's format from its name and first line, and returns its loader.

Design contract:
- reads at most the first line of the file (gzip transparently); never guesses silently: a file
  that matches no known format raises :class:`UnknownFormat` naming the path and its header;
- the rules, first match wins: ``.dbn`` / ``.dbn.zst`` -> ``dbn``; no header and
  ``YYYYMMDD HHMMSSmmm,`` -> ``histdata``; Binance depth columns -> ``binance_depth``; Tardis
  trades columns -> ``tardis_trades``; Tardis ``incremental_book_L2`` columns -> ``tardis_book``;
  ``open,high,low,close`` -> ``bars``; exactly ``timestamp,bid,ask`` -> ``truefx``;
  ``bid,ask`` -> ``quotes``; ``price,size`` -> ``trades``;
- loader options given to :func:`detect_format` (e.g. ``size_precision=7, round_volume=True``
  for a bars file) are checked against the format's ``option_names`` (an unknown one raises
  :class:`UnknownOption`) and bound into ``loader``; options passed to the loader call are
  added to (and override) them.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np

from replay.loaders.csv_headers import (
    BINANCE_DEPTH_COLUMNS,
    TARDIS_BOOK_COLUMNS,
    TARDIS_TRADE_COLUMNS,
)

Loader = Callable[..., Iterator[np.ndarray]]
_HISTDATA = re.compile(r"\d{8} \d{9},")


#: CSV format -> (its loader function, its options class), each as (module under
#: replay.loaders, name); imported when asked, so that a DBN file needs neither the CSV loaders
#: nor pyarrow under them, and a quotes file no other CSV loader
_CSV_FORMATS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "histdata": (("histdata", "iter_histdata_quotes"), ("quotes_csv", "QuoteOptions")),
    "truefx": (("truefx", "iter_truefx_quotes"), ("quotes_csv", "QuoteOptions")),
    "quotes": (("quotes_csv", "iter_quotes_csv"), ("quotes_csv", "QuoteOptions")),
    "trades": (("trades_csv", "iter_trades_csv"), ("trades_csv", "TradeOptions")),
    "tardis_trades": (("tardis", "iter_tardis_trades"), ("trades_csv", "TradeOptions")),
    "bars": (("bars_csv", "iter_bars_csv"), ("bars_csv", "BarOptions")),
    "binance_depth": (("binance_depth", "iter_binance_depth"), ("binance_depth", "DepthOptions")),
    "tardis_book": (("tardis", "iter_tardis_book_l2"), ("binance_depth", "DepthOptions")),
}


def _named(where: tuple[str, str]) -> Any:
    """Returns ``name`` of module ``replay.loaders.<module>`` for ``where = (module, name)``."""
    return getattr(importlib.import_module(f"replay.loaders.{where[0]}"), where[1])


def _options_class(fmt: str) -> type | None:
    """Returns the options class of a CSV format, None for others."""
    entry = _CSV_FORMATS.get(fmt)
    return None if entry is None else _named(entry[1])


class UnknownFormat(ValueError):
    """No loader recognises the file."""


class UnknownOption(ValueError):
    """A loader option the detected format does not take."""


def _read_only(options: Mapping[str, object]) -> Mapping[str, object]:
    """``MappingProxyType(options)`` through a Python function (see ``replay.config._as_tuple``:
    attrs parses a builtin converter's signature from text)."""
    return MappingProxyType(options)


@attrs.frozen
class DetectedFormat:
    """A format name and its loader, called as ``loader(path, instrument_id, **more_options)``.

    ``options`` are the options bound into ``loader``; ``option_names`` every option the
    format's loader takes (sorted).
    """

    name: str
    loader: Loader
    options: Mapping[str, object] = attrs.field(factory=dict, converter=_read_only)
    option_names: tuple[str, ...] = ()


def option_names(fmt: str, loader: Loader) -> tuple[str, ...]:
    """Returns the sorted option names of format ``fmt`` (its options class's fields, or the
    loader's keyword-only parameters)."""
    cls = _options_class(fmt)
    if cls is not None:
        return tuple(sorted(f.name for f in attrs.fields(cls)))
    params = inspect.signature(loader).parameters.values()
    return tuple(sorted(p.name for p in params if p.kind is p.KEYWORD_ONLY))


def _bind(fmt: str, loader: Loader, path: str | Path, options: dict[str, object]
          ) -> DetectedFormat:
    names = option_names(fmt, loader)
    for key in sorted(options):
        if key not in names:
            raise UnknownOption(f"{path}: option {key!r} (value {options[key]!r}) is not an "
                                f"option of the {fmt!r} loader; its options are {list(names)}")
    bound = functools.partial(loader, **options) if options else loader
    return DetectedFormat(fmt, bound, options, names)


def _dbn_loader() -> Loader:
    from replay.loaders.dbn import iter_dbn

    return iter_dbn


def detect_format(path: str | Path, **options: object) -> DetectedFormat:
    """Returns the format of ``path`` and its loader with ``options`` bound; raises
    UnknownFormat if no format fits, UnknownOption if the format takes no such option."""
    name = Path(path).name.lower()
    if name.endswith((".dbn", ".dbn.zst")):
        return _bind("dbn", _dbn_loader(), path, options)
    format_name, loader = _detect_csv(path)
    return _bind(format_name, loader, path, options)


def _detect_csv(path: str | Path) -> tuple[str, Loader]:
    """Returns the CSV format of ``path`` from its first line, and its loader (only that
    format's loader module is imported: a DBN file imports none, a quotes file no bars or
    depth loader)."""
    from replay.loaders.csv_common import open_text

    with open_text(path) as f:
        first = f.readline().strip()
    columns = {c.strip().lower() for c in first.split(",")}
    rules: tuple[tuple[str, bool], ...] = (
        ("histdata", bool(_HISTDATA.match(first))),
        ("binance_depth", set(BINANCE_DEPTH_COLUMNS) <= columns),
        ("tardis_trades", set(TARDIS_TRADE_COLUMNS) <= columns),
        ("tardis_book", set(TARDIS_BOOK_COLUMNS) <= columns),
        ("bars", {"open", "high", "low", "close"} <= columns),
        ("truefx", columns == {"timestamp", "bid", "ask"}),
        ("quotes", {"bid", "ask"} <= columns),
        ("trades", {"price", "size"} <= columns),
    )
    for format_name, matches in rules:
        if matches:
            return format_name, _named(_CSV_FORMATS[format_name][0])
    raise UnknownFormat(f"{path}: unknown data format; first line is {first[:200]!r}")
