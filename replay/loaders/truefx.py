"""TrueFX tick quotes (``usdjpy-ticks.csv``) -> QUOTE records.

Design contract: a header ``timestamp,bid,ask`` with ISO 8601 times carrying a UTC offset; both
sizes are ``default_size`` (1,000,000); otherwise exactly :func:`iter_quotes_csv` (TrueFX files
are a special case of the generic quotes format, kept as a named entry point for detection).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from replay.loaders.quotes_csv import QuoteOptions, iter_quotes_csv

COLUMNS = ("timestamp", "bid", "ask")


def iter_truefx_quotes(path: str | Path, instrument_id: int,
                       options: QuoteOptions | None = None, **overrides: object
                       ) -> Iterator[np.ndarray]:
    """Yields RECORD_DTYPE arrays of QUOTE INPUT records, in file order."""
    return iter_quotes_csv(path, instrument_id, options, **overrides)
