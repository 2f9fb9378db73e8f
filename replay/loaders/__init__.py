"""replay.loaders — historical data files turned into ringbus records.

Design contract:
- a loader yields RECORD_DTYPE arrays of INPUT records, in file order, in chunks of bounded size
  (a large file never needs its size in memory); ``seq`` is left 0 for the ring to stamp;
- columns are converted in bulk with numpy, never by per-record field writes;
- bad input fails fast with a typed error naming the file, the record index, the field and the
  value, before any record of the failing chunk is yielded.
"""

from replay.loaders.dbn import (
    DbnDataError,
    DbnError,
    DbnFormatError,
    DbnMetadata,
    iter_dbn,
    load_dbn,
    read_dbn_metadata,
    scan_price_precision,
)

__all__ = [
    "DbnDataError",
    "DbnError",
    "DbnFormatError",
    "DbnMetadata",
    "iter_dbn",
    "load_dbn",
    "read_dbn_metadata",
    "scan_price_precision",
]
