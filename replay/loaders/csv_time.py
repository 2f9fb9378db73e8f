"""Timestamp columns of CSV files turned into int64 ns since the UNIX epoch, in bulk.

Design contract:
- an all-integer column is a count of ``int_unit_ns`` (1 for ns, 1_000 for µs, 1_000_000 for ms);
- otherwise each value is ISO 8601 ``YYYY-MM-DD[( |T)HH:MM[:SS[.f{1,9}]]]`` with an optional
  ``Z`` or ``+HH:MM`` / ``-HH:MM`` offset; no offset means UTC (or ``default_offset_ns``);
- words numpy would accept (``now``, ``today``, ``NaT``) are refused: nothing here reads a clock;
- a time outside int64 ns (before 1677-09-21 or after 2262-04-11, e.g. the year 2300) is
  refused, never wrapped;
- a bad value raises DataError naming the line, field and value.
"""

from __future__ import annotations

import numpy as np

from replay.loaders.csv_civil import civil_ns, iso_layout
from replay.loaders.csv_common import MonotonicClock, RowChunk, parse_int_column, scanned
from replay.loaders.csv_scan import BAD_SYNTAX
from replay.loaders.csv_typed import TypedColumn
from replay.loaders.errors import DataError

#: the time columns, as ``numbers`` for :func:`~replay.loaders.csv_common.iter_row_chunks`
#: (integer ns are read at 0 decimals)
TIME_COLUMNS = {"timestamp": 0, "ts_event": 0, "ts_init": 0}
_NS_PER_MINUTE = 60_000_000_000
_NAT = np.iinfo(np.int64).min
_NS_PER_DAY = 86_400_000_000_000
NS_RANGE = "int64 ns covers 1677-09-21..2262-04-11 UTC"


def parse_timestamps(chunk: RowChunk, field: str, *, int_unit_ns: int = 1,
                     default_offset_ns: int = 0) -> np.ndarray:
    """Returns the column as int64 ns UTC; ``default_offset_ns`` is the UTC offset of values
    without one (e.g. ``-5 * 3600 * 10**9`` for EST)."""
    col = chunk.columns[field]
    if isinstance(col, TypedColumn):  # read as integers (timestamps are typed at scale 0)
        return parse_int_column(chunk, field, scale=int_unit_ns)
    layout = iso_layout(col.raw(0)) if len(col) else None
    fast = civil_ns(col, layout, default_offset_ns) if layout is not None else None
    if fast is not None:  # one fixed ISO layout (the usual file): digit arithmetic, same values
        return fast
    _, _, status = scanned(chunk, field)
    if not (status == BAD_SYNTAX).any() and not (col.data[col.offsets[0]:col.offsets[-1]]
                                                  == ord(".")).any():
        return parse_int_column(chunk, field, scale=int_unit_ns)
    return _parse_iso(chunk, field, col.byte_matrix(), default_offset_ns)


def iso_to_ns(chunk: RowChunk, field: str, body: np.ndarray) -> np.ndarray:
    """Returns ISO 8601 bodies (a NUL-padded uint8 matrix, no offset) as int64 ns; DataError
    on a value that is no date or lies outside int64 ns (numpy would wrap it silently)."""
    w = body.shape[1]
    try:
        local = body.view(f"S{w}").ravel().astype("datetime64[ns]").view(np.int64)
        days = np.ascontiguousarray(body[:, :10]).view("S10").ravel().astype("datetime64[D]")
    except ValueError:
        return _explain(chunk, field, np.zeros(len(body), bool))
    if (local == _NAT).any():
        return _explain(chunk, field, local == _NAT)
    wrapped = np.flatnonzero(np.floor_divide(local, _NS_PER_DAY) != days.view(np.int64))
    if wrapped.size:
        raise chunk.fail(int(wrapped[0]), field, f"time outside the int64 ns range ({NS_RANGE})")
    return local


def _parse_iso(chunk: RowChunk, field: str, mat: np.ndarray, default_offset_ns: int
               ) -> np.ndarray:
    n, w = mat.shape
    rows = np.arange(n)
    lengths = (mat != 0).sum(1)
    shaped = (lengths >= 10) & (mat[:, :4] >= ord("0")).all(1) & (mat[:, :4] <= ord("9")).all(1)
    shaped &= (mat[:, 4] == ord("-")) if w > 4 else False
    if not shaped.all():
        return _explain(chunk, field, ~shaped)
    last = mat[rows, lengths - 1]
    zulu = last == ord("Z")
    at6 = mat[rows, np.maximum(lengths - 6, 0)]
    has_offset = (lengths >= 16) & ((at6 == ord("+")) | (at6 == ord("-")))
    has_offset &= mat[rows, np.maximum(lengths - 3, 0)] == ord(":")
    offset_ns = np.full(n, default_offset_ns, np.int64)
    if has_offset.any():
        digits = mat.astype(np.int64) - ord("0")
        hh = digits[rows, lengths - 5] * 10 + digits[rows, lengths - 4]
        mm = digits[rows, lengths - 2] * 10 + digits[rows, lengths - 1]
        sign = np.where(at6 == ord("-"), -1, 1)
        offset_ns = np.where(has_offset, sign * (hh * 60 + mm) * _NS_PER_MINUTE, offset_ns)
    offset_ns = np.where(zulu, 0, offset_ns)
    body_len = lengths - np.where(has_offset, 6, 0) - zulu
    body = np.ascontiguousarray(np.where(np.arange(w)[None, :] < body_len[:, None], mat, 0),
                                np.uint8)
    local = iso_to_ns(chunk, field, body)
    out = local - offset_ns
    wrapped = np.flatnonzero((offset_ns < 0) & (out < local) | (offset_ns > 0) & (out > local))
    if wrapped.size:
        raise chunk.fail(int(wrapped[0]), field, f"time outside the int64 ns range ({NS_RANGE})")
    return out


def _explain(chunk: RowChunk, field: str, known_bad: np.ndarray) -> np.ndarray:
    """Raises DataError for the first value that does not parse (or is marked ``known_bad``)."""
    why = ("not a timestamp: expected integer ns or ISO 8601 'YYYY-MM-DD HH:MM:SS[.fff]' with an "
           "optional Z or +HH:MM offset")
    for i, text in enumerate(chunk.columns[field]):
        if known_bad[i] or not text.isascii() or not text[:4].isdigit():
            raise chunk.fail(i, field, why)
        try:
            body = text[:-1] if text.endswith("Z") else text
            if len(body) >= 16 and body[-6] in "+-" and body[-3] == ":":
                body = body[:-6]
            if np.isnat(np.datetime64(body, "ns")):
                raise ValueError(body)
        except ValueError:
            raise chunk.fail(i, field, why) from None
    raise chunk.fail(0, field, why)


class EventTimes:
    """Reads ``ts_event`` (column ``timestamp`` or ``ts_event``) and ``ts_init`` (column
    ``ts_init`` when present, else ``ts_event``) and checks neither goes backwards in the file."""

    def __init__(self, *, int_unit_ns: int = 1, default_offset_ns: int = 0) -> None:
        self.int_unit_ns, self.default_offset_ns = int_unit_ns, default_offset_ns
        self._event, self._init = MonotonicClock(), MonotonicClock()

    def read(self, chunk: RowChunk) -> tuple[np.ndarray, np.ndarray]:
        """Returns (ts_event, ts_init) in ns; DataError on a bad or backwards timestamp."""
        field = next((f for f in ("timestamp", "ts_event") if f in chunk.columns), None)
        if field is None:
            raise DataError(chunk.path, 1, "timestamp", None,
                            f"missing column (or 'ts_event'); columns are {list(chunk.columns)}")
        kw = {"int_unit_ns": self.int_unit_ns, "default_offset_ns": self.default_offset_ns}
        ts_event = parse_timestamps(chunk, field, **kw)
        self._event.check(chunk, field, ts_event)
        if "ts_init" not in chunk.columns:
            return ts_event, ts_event
        ts_init = parse_timestamps(chunk, "ts_init", **kw)
        self._init.check(chunk, "ts_init", ts_init)
        return ts_event, ts_init
