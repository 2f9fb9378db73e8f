"""The sniffed sample's number check: which columns are plain decimals, and their most decimals.

Design contract:
- :func:`plain_decimals` accepts exactly the columns :func:`replay.loaders.csv_scan.scan_clean`
  accepts (every value ``[-]digits[.digits]`` or ``[-].digits`` with at least one digit, the
  digits without the point fitting int64, no null, at least one value) and returns what the typed reading plans
  with: the most decimals of any value (its fraction's trailing zeros dropped) and whether any
  value holds a point; None for any other column;
- numpy over the column's bytes only: choosing the column types of a CSV file never imports
  ``pyarrow.compute`` (about 60 ms of every CSV command's start-up, for 64 KiB of sample).

The agreement with ``scan_clean`` is a property test (tests/unit/test_csv_sample.py).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_ZERO, _NINE, _MINUS, _POINT = ord("0"), ord("9"), ord("-"), ord(".")
_INT64_MAX = 2**63 - 1


def plain_decimals(arrow: pa.Array) -> tuple[int, bool] | None:
    """Returns (most decimals, any point) when every value of the binary or string column is a
    plain decimal that fits int64 (see the module contract), else None."""
    n = len(arrow)
    if arrow.null_count or not n:
        return None
    _, offsets_buf, data = arrow.buffers()
    offsets = np.frombuffer(offsets_buf, np.int32, n + 1, arrow.offset * 4).astype(np.int64)
    lo, hi = int(offsets[0]), int(offsets[-1])
    starts, ends = offsets[:-1] - lo, offsets[1:] - lo
    if hi == lo:  # empty values only: no digit
        return None
    buf = np.frombuffer(data, np.uint8, hi - lo, lo)
    digit = (buf >= _ZERO) & (buf <= _NINE)
    point = buf == _POINT
    nonempty = ends > starts
    lead = starts[nonempty]
    signed = lead[buf[lead] == _MINUS]  # the one place a minus may stand
    allowed = digit | point
    allowed[signed] = True
    if not allowed.all():
        return None
    digits = _per_value(digit, starts, ends)
    if (digits == 0).any() or (_per_value(point, starts, ends) > 1).any():
        return None
    for i in np.flatnonzero(digits >= 19).tolist():  # rare: check those exactly
        text = buf[starts[i]:ends[i]].tobytes().replace(b"-", b"").replace(b".", b"")
        if int(text) > _INT64_MAX:
            return None
    at = np.flatnonzero(point)
    if not at.size:
        return 0, False
    # a value's decimals: from its point to its last non-zero digit (none after it: 0)
    index = np.arange(len(buf))
    last_nonzero = np.maximum.accumulate(np.where(digit & (buf != _ZERO), index, -1))
    owner = np.searchsorted(starts, at, side="right") - 1
    decimals = last_nonzero[ends[owner] - 1] - at
    return int(decimals.max(initial=0)), True


def _per_value(flags: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Returns how many of ``flags`` are set within each value's bytes."""
    total = np.zeros(len(flags) + 1, np.int64)
    np.cumsum(flags, out=total[1:])
    return total[ends] - total[starts]
