"""HistData tick quotes (``quote_tick_data.csv``) -> QUOTE records.

Design contract:
- no header; each row is ``YYYYMMDD HHMMSSmmm,bid,ask,volume``; the volume column (always 0 in
  HistData tick files) is ignored and both sizes are ``default_size``;
- times are EST as a fixed UTC-5 offset all year (HistData's convention: no daylight saving);
- everything else (precision inference, validation, crossed quotes) as :mod:`quotes_csv`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import numpy as np

from replay.loaders.csv_civil import HISTDATA, civil_ns
from replay.loaders.csv_common import MonotonicClock, RowChunk, iter_row_chunks
from replay.loaders.csv_time import iso_to_ns
from replay.loaders.quotes_csv import QuoteOptions, quote_records, resolve_precisions

COLUMNS = ("timestamp", "bid", "ask", "volume")
EST_OFFSET_NS = -5 * 3600 * 1_000_000_000
#: ISO layout ``YYYY-MM-DDTHH:MM:SS.mmm`` built from ``YYYYMMDD HHMMSSmmm``: source byte per slot.
_ISO_FROM = (0, 1, 2, 3, -1, 4, 5, -1, 6, 7, -1, 9, 10, -1, 11, 12, -1, 13, 14, -1, 15, 16, 17)
_ISO_SEPARATORS = {4: "-", 7: "-", 10: "T", 13: ":", 16: ":", 19: "."}


def parse_histdata_times(chunk: RowChunk) -> np.ndarray:
    """Returns the chunk's ``YYYYMMDD HHMMSSmmm`` EST times as int64 ns UTC."""
    fast = civil_ns(chunk.columns["timestamp"], HISTDATA, EST_OFFSET_NS)
    if fast is not None:  # every value well formed: digit arithmetic, the same values
        return fast
    return parse_histdata_times_exact(chunk)


def parse_histdata_times_exact(chunk: RowChunk) -> np.ndarray:
    """:func:`parse_histdata_times` through numpy's datetime64 parser: what a chunk with an odd
    value gets, to accept it or refuse it with its message."""
    mat = chunk.columns["timestamp"].byte_matrix()
    why = "not a HistData time 'YYYYMMDD HHMMSSmmm'"
    if mat.shape[1] != 18 or (mat == 0).any():
        return _explain(chunk, why)
    digits = np.delete(mat, 8, axis=1)
    shaped = (mat[:, 8] == ord(" ")) & ((digits >= ord("0")) & (digits <= ord("9"))).all(1)
    if not shaped.all():
        raise chunk.fail(int(np.flatnonzero(~shaped)[0]), "timestamp", why)
    iso = np.ascontiguousarray(mat[:, [max(i, 0) for i in _ISO_FROM]])
    for pos, sep in _ISO_SEPARATORS.items():
        iso[:, pos] = ord(sep)
    try:
        iso.view("S23").ravel().astype("datetime64[ns]")
    except ValueError:
        return _explain(chunk, why)
    return iso_to_ns(chunk, "timestamp", iso) - EST_OFFSET_NS


def _explain(chunk: RowChunk, why: str) -> np.ndarray:
    for i, text in enumerate(chunk.columns["timestamp"]):
        ok = len(text) == 18 and text[8] == " " and (text[:8] + text[9:]).isdigit()
        try:
            if ok:
                np.datetime64(f"{text[:4]}-{text[4:6]}-{text[6:8]}T{text[9:11]}:{text[11:13]}:"
                              f"{text[13:15]}.{text[15:]}", "ns")
        except ValueError:
            ok = False
        if not ok:
            raise chunk.fail(i, "timestamp", why)
    raise chunk.fail(0, "timestamp", why)


def iter_histdata_quotes(path: str | Path, instrument_id: int,
                         options: QuoteOptions | None = None, **overrides: object
                         ) -> Iterator[np.ndarray]:
    """Yields RECORD_DTYPE arrays of QUOTE INPUT records (ts_init = ts_event), in file order."""
    options = attrs.evolve(options or QuoteOptions(), **overrides)
    pp = options.price_precision
    chunks = iter_row_chunks(path, options.chunk_size, names=COLUMNS,
                             numbers={"bid": pp, "ask": pp})
    pp, sp, chunks = resolve_precisions(chunks, options)
    clock = MonotonicClock()
    for chunk in chunks:
        ts = parse_histdata_times(chunk)
        clock.check(chunk, "timestamp", ts)
        yield quote_records(chunk, ts, ts, instrument_id, pp, sp, options)
