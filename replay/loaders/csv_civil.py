"""Date-time columns of one fixed layout turned into int64 ns by digit arithmetic, in numpy.

Design contract:
- a column whose values all have one width and one shape is read straight from its bytes (a
  zero-copy ``(rows, width)`` matrix), without building strings for numpy's datetime64 parser:
  HistData's ``YYYYMMDD HHMMSSmmm`` (:data:`HISTDATA`), and ISO 8601
  ``YYYY-MM-DD[( |T)HH:MM[:SS[.f{1,9}]]]`` with an optional ``Z`` or ``+HH:MM`` / ``-HH:MM``,
  its layout taken from the first value (:func:`iso_layout`);
- it takes only values it reads exactly as the exact path (:mod:`replay.loaders.csv_time`,
  numpy's parser) does: every digit slot an ASCII digit, every separator in its place, months
  1-12, days within their month (leap years), hours < 24, minutes and seconds < 60, years
  1678-2261 (well inside int64 ns); for any other column it returns None and the caller runs
  the exact path, which accepts the value or refuses it with its message.
"""

from __future__ import annotations

import re

import attrs
import numpy as np

from replay.loaders.csv_read import TextColumn

_NS_PER_S = 1_000_000_000
_NS_PER_MINUTE = 60 * _NS_PER_S
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], np.int64)
_ISO = re.compile(rb"(\d{4})-(\d\d)-(\d\d)(?:([T ])(\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?)?"
                  rb"(Z|[+-]\d\d:\d\d)?")


@attrs.frozen
class Layout:
    """Where each part of a fixed-width date-time sits (start offsets; None when absent)."""

    width: int
    year: int
    month: int
    day: int
    hour: int | None = None
    minute: int | None = None
    second: int | None = None
    #: (start, digits) of the fraction of a second
    fraction: tuple[int, int] | None = None
    #: start of a ``+HH:MM`` / ``-HH:MM`` offset
    offset: int | None = None
    #: (position, byte) of every separator, the ``Z`` and the offset's sign excepted
    literals: tuple[tuple[int, int], ...] = ()
    zulu: bool = False


HISTDATA = Layout(18, 0, 4, 6, 9, 11, 13, (15, 3), literals=((8, ord(" ")),))


def iso_layout(first: bytes) -> Layout | None:
    """Returns the layout of an ISO 8601 value (e.g. a column's first), or None."""
    m = _ISO.fullmatch(first)
    if m is None:
        return None
    starts = [m.start(g) if m.group(g) is not None else None for g in range(1, 10)]
    seps = [(4, ord("-")), (7, ord("-"))]
    if starts[3] is not None:
        seps += [(10, first[10]), (13, ord(":"))]
    if starts[6] is not None:
        seps.append((16, ord(":")))
    if starts[7] is not None:
        seps.append((19, ord(".")))
    offset, zulu = None, False
    if m.group(9) == b"Z":
        zulu = True
        seps.append((len(first) - 1, ord("Z")))
    elif m.group(9) is not None:
        offset = starts[8]
        seps.append((offset + 3, ord(":")))
    fraction = (starts[7], len(m.group(8))) if starts[7] is not None else None
    return Layout(len(first), 0, 5, 8, starts[4], starts[5], starts[6], fraction, offset,
                  tuple(seps), zulu)


def fixed_matrix(col: TextColumn, width: int) -> np.ndarray | None:
    """Returns the column's bytes as a ``(rows, width)`` matrix (a view), or None if a value
    has another width."""
    lengths = np.diff(col.offsets)
    if not len(lengths) or lengths.min() != width or lengths.max() != width:
        return None
    start = int(col.offsets[0])
    return col.data[start:start + width * len(lengths)].reshape(len(lengths), width)


def civil_ns(col: TextColumn, layout: Layout, default_offset_ns: int = 0) -> np.ndarray | None:
    """Returns the column as int64 ns UTC (values without an offset or ``Z`` are at
    ``default_offset_ns``), or None if any value does not fit ``layout`` exactly."""
    mat = fixed_matrix(col, layout.width)
    if mat is None:
        return None
    for pos, byte in layout.literals:
        if not (mat[:, pos] == byte).all():
            return None
    year, month, day = (_digits(mat, at, n) for at, n in ((layout.year, 4), (layout.month, 2),
                                                          (layout.day, 2)))
    hms = [_digits(mat, at, 2) if at is not None else 0
           for at in (layout.hour, layout.minute, layout.second)]
    frac = _digits(mat, *layout.fraction) if layout.fraction else 0
    if any(part is None for part in (year, month, day, frac, *hms)):
        return None
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    ok = (year >= 1678) & (year <= 2261) & (month >= 1) & (month <= 12) & (day >= 1)
    ok &= day <= _MONTH_DAYS[np.clip(month, 0, 12)] + (leap & (month == 2))
    ok &= (np.asarray(hms[0]) < 24) & (np.asarray(hms[1]) < 60) & (np.asarray(hms[2]) < 60)
    if not ok.all():
        return None
    seconds = ((_days_from_civil(year, month, day) * 24 + hms[0]) * 60 + hms[1]) * 60 + hms[2]
    ns = seconds * _NS_PER_S
    if layout.fraction:
        ns += frac * 10 ** (9 - layout.fraction[1])
    if layout.offset is not None:
        sign = mat[:, layout.offset]
        if not ((sign == ord("+")) | (sign == ord("-"))).all():
            return None
        hh, mm = _digits(mat, layout.offset + 1, 2), _digits(mat, layout.offset + 4, 2)
        if hh is None or mm is None:
            return None
        return ns - np.where(sign == ord("-"), -1, 1) * (hh * 60 + mm) * _NS_PER_MINUTE
    return ns if layout.zulu else ns - default_offset_ns


def _digits(mat: np.ndarray, start: int, n: int) -> np.ndarray | None:
    """Returns the ``n`` digits from column ``start`` as int64 per row, or None if one is not
    an ASCII digit."""
    block = mat[:, start:start + n].astype(np.int64) - ord("0")
    if ((block < 0) | (block > 9)).any():
        return None
    out = block[:, 0].copy()
    for k in range(1, n):
        out = out * 10 + block[:, k]
    return out


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    return era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468
