"""replay.loaders — historical data files turned into ringbus records.

Design contract:
- a loader yields RECORD_DTYPE arrays of INPUT records, in file order, in chunks of bounded size
  (a large file never needs its size in memory); ``seq`` is left 0 for the ring to stamp;
- columns are converted in bulk with numpy, never by per-record field writes;
- bad input fails fast with a :class:`LoaderError` naming the file, the line or record index, the
  field and the value, before any record of the failing chunk is yielded.

Names are imported lazily, so ``import replay.loaders`` costs nothing until a loader is used.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "LoaderError": "errors",
    "DataError": "errors",
    "DbnDataError": "dbn",
    "DbnError": "dbn",
    "DbnFormatError": "dbn",
    "DbnMetadata": "dbn",
    "iter_dbn": "dbn",
    "load_dbn": "dbn",
    "read_dbn_metadata": "dbn",
    "scan_price_precision": "dbn",
    "iter_quotes_csv": "quotes_csv",
    "iter_trades_csv": "trades_csv",
    "iter_bars_csv": "bars_csv",
    "iter_histdata_quotes": "histdata",
    "iter_truefx_quotes": "truefx",
    "iter_binance_depth": "binance_depth",
    "iter_tardis_trades": "tardis",
    "infer_precision": "csv_common",
    "load_all": "csv_common",
    "detect_format": "detect",
    "DetectedFormat": "detect",
    "UnknownFormat": "detect",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'replay.loaders' has no attribute {name!r}")
    return getattr(importlib.import_module(f"replay.loaders.{module}"), name)
