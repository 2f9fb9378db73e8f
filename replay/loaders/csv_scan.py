"""Exact decimal parsing of a CSV column's raw bytes with pyarrow compute kernels (no numba).

Design contract:
- :func:`scan_decimals` reads each value ``[+-]digits[.digits]`` exactly into an int64 mantissa
  (trailing zeros of the fraction dropped) and its count of fraction digits: the digits are
  split and joined by Arrow's C++ string kernels and cast to int64; never through float, never
  rounded;
- a status per value says why it is not usable: ``BAD_SYNTAX`` (no digits, a second point, any
  other byte: NaN, inf, exponents, blanks, spaces, non-UTF-8 bytes) or ``OVERFLOW`` (the digits
  do not fit int64); the caller explains the first bad value in words;
- :func:`rescale` turns (mantissa, fraction digits) into raw int64 at a precision, flagging values
  that need more decimals (never rounded) or overflow.

Arrow kernels are used rather than a numba kernel so a command reading a CSV does not pay numba's
import and start (about 0.45 s of CPU); ``pyarrow.compute`` itself (about 60 ms) is imported by the
first scan, not with this module. A column of plain ``[-]digits[.digits]`` values (the usual
case) takes :func:`scan_clean`, about three times faster than the general regex split; any other
value sends its column to the general scan, which finds and classifies it. The clean scan still
costs 0.1-0.2 us more per value than the numba twin (:mod:`replay.loaders.csv_scan_numba`, the
same values), so a file of at least ``NUMBA_MIN_BYTES`` (about 1.3 M quote rows) uses that; see
docs/data.md for the figures.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

OK, BAD_SYNTAX, OVERFLOW, TOO_PRECISE = 0, 1, 2, 3
_POW10 = 10 ** np.arange(19, dtype=np.int64)
_INT64_MAX = 2**63 - 1
_DIGITS_MAX = str(_INT64_MAX)
#: CSV files at least this large (on disk) scan decimals with numba
NUMBA_MIN_BYTES = 64 << 20
_MINUS, _POINT = ord("-"), ord(".")
_PATTERN = r"^(?P<sign>[+-]?)(?P<whole>[0-9]*)(?:\.(?P<frac>[0-9]*))?$"


def _np(array: pa.Array) -> np.ndarray:
    return array.to_numpy(zero_copy_only=False)


def _value_bytes(raw: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Returns (the bytes of every value of a binary array, back to back, as uint8; its
    offsets into them, int32, one more than values): views, not copies."""
    _, offsets, data = raw.buffers()
    off = np.frombuffer(offsets, np.int32, len(raw) + 1, raw.offset * 4)
    start, end = int(off[0]), int(off[-1])
    if end == start:
        return np.zeros(0, np.uint8), off - start
    return np.frombuffer(data, np.uint8, end - start, start), off - start


def _without_points(buf: np.ndarray, offsets: np.ndarray, has_point: np.ndarray) -> pa.Array:
    """Returns the values as a string array with their one point removed (``has_point`` says
    which values hold exactly one; the others hold none): a byte mask and shifted offsets,
    about twice as fast as Arrow's replace_substring."""
    shift = np.zeros(len(offsets), np.int32)
    np.cumsum(has_point, out=shift[1:])
    kept = buf[buf != _POINT]
    return pa.Array.from_buffers(pa.string(), len(has_point), [
        None, pa.py_buffer(offsets - shift), pa.py_buffer(kept)])


def scan_clean(arrow: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Returns :func:`scan_decimals`' result when every value is ``[-]digits[.digits]`` with at
    least one digit and fits int64 (the usual column), else None (then the full scan runs).

    About three times faster than the full scan: the point is removed and the digits are cast
    to int64 by Arrow (its parser accepts only plain digits once the check that every byte is an
    ASCII digit has passed, so no sign, exponent, hex or blank reaches it), and the fraction's
    trailing zeros are dropped in numpy over the values that have them.
    """
    import pyarrow.compute as pc  # here: a CSV command that never scans raw bytes never pays it
    raw = arrow if pa.types.is_binary(arrow.type) else arrow.view(pa.binary())
    if raw.null_count:
        return None
    buf, offsets = _value_bytes(raw)
    any_neg = bool((buf == _MINUS).any())  # a byte scan: cheaper than a kernel per value
    if any_neg:  # (Arrow 26's binary_slice without a stop can fail: "Negative buffer resize")
        neg = pc.starts_with(raw, b"-")
        longest = pc.max(pc.binary_length(raw)).as_py()
        raw = pc.if_else(neg, pc.binary_slice(raw, 1, longest), raw)
        buf, offsets = _value_bytes(raw)
    body = raw.view(pa.string())
    points = int(np.count_nonzero(buf == _POINT))
    point = None
    digits = body  # integers: as they are
    if points:
        point = _np(pc.find_substring(body, "."))
        has_point = point >= 0
        if int(np.count_nonzero(has_point)) != points:  # a value with a second point
            return None
        digits = _without_points(buf, offsets, has_point)
    if not pc.all(pc.ascii_is_decimal(digits)).as_py():  # also false for an empty value
        return None
    try:
        mant = _np(pc.cast(digits, pa.int64())).copy()
    except pa.ArrowInvalid:  # more than int64 holds
        return None
    if any_neg:
        np.negative(mant, out=mant, where=_np(neg))
    frac = np.zeros(len(mant), np.int64)
    if point is not None:
        frac = np.where(point < 0, 0, _np(pc.binary_length(body)) - point - 1).astype(np.int64)
        drop_trailing_zeros(mant, frac)
    return mant, frac, np.zeros(len(mant), np.uint8)


def drop_trailing_zeros(mant: np.ndarray, frac: np.ndarray) -> None:
    """Divides out the fraction's trailing zeros in place: ``mant / 10**frac`` keeps its value,
    ``frac`` becomes the fewest decimals that hold it."""
    zeros = np.flatnonzero((frac > 0) & (mant % 10 == 0))
    while zeros.size:
        mant[zeros] //= 10
        frac[zeros] -= 1
        zeros = zeros[(frac[zeros] > 0) & (mant[zeros] % 10 == 0)]


def scan_decimals(arrow: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns (mantissa int64, fraction digits int64, status uint8) per value of a binary
    (or string) array."""
    n = len(arrow)
    if not n:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint8)
    clean = scan_clean(arrow)
    if clean is not None:
        return clean
    import pyarrow.compute as pc

    parts = pc.extract_regex(arrow.fill_null(b""), _PATTERN)
    # only ASCII signs and digits were captured: viewing the bytes as UTF-8 is safe
    sign, whole, frac = (parts.field(i).view(pa.string()) for i in range(3))
    frac = pc.utf8_rtrim(frac, characters="0")
    digits = pc.utf8_ltrim(pc.binary_join_element_wise(whole, frac, ""), characters="0")
    width = _np(pc.binary_length(digits))
    bad = _np(parts.is_null()) | ((_np(pc.binary_length(whole)) == 0)
                                  & (_np(pc.binary_length(parts.field(2))) == 0))
    over = ~bad & ((width > 19) | ((width == 19) & _np(pc.greater(digits, _DIGITS_MAX))))
    usable = pa.array(~(bad | over) & (width > 0))
    mant = _np(pc.cast(pc.if_else(usable, digits, "0"), pa.int64()))
    mant = np.where(_np(pc.equal(sign, "-")), -mant, mant)
    status = np.where(bad, BAD_SYNTAX, np.where(over, OVERFLOW, OK)).astype(np.uint8)
    return mant, _np(pc.binary_length(frac)).astype(np.int64), status


def rescale(mant: np.ndarray, frac: np.ndarray, status: np.ndarray, precision: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """Returns (raw int64 at ``precision``, status) with TOO_PRECISE and OVERFLOW added."""
    shift = precision - frac
    if len(mant) and not status.any() and shift.min() >= 0 and shift.max() <= 18 \
            and np.abs(mant).max() <= _INT64_MAX // _POW10[shift.max()]:
        return mant * _POW10[shift], status  # the common case: every value fits
    ok = status == OK
    pow10 = _POW10[np.clip(shift, 0, 18)]
    too_precise = ok & (shift < 0)
    over = ok & ~too_precise & (mant != 0) & ((shift > 18) | (np.abs(mant) > _INT64_MAX // pow10))
    out = status.copy()
    out[too_precise] = TOO_PRECISE
    out[over] = OVERFLOW
    with np.errstate(over="ignore"):
        raw = np.where(out == OK, mant * pow10, 0)
    return raw.astype(np.int64, copy=False), out
