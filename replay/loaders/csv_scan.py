"""Numba kernels over a CSV column's raw bytes (Arrow layout: ``data`` plus ``offsets``).

Design contract:
- :func:`scan_decimals` reads each value ``[+-]digits[.digits]`` exactly into an int64 mantissa
  (trailing zeros of the fraction dropped) and its count of fraction digits, in one pass over the
  bytes; it never goes through float and never rounds;
- a status per value says why it is not usable: ``BAD_SYNTAX`` (no digits, a second point, any
  other byte: NaN, inf, exponents, blanks, spaces, non-UTF-8 bytes) or ``OVERFLOW`` (the digits
  do not fit int64); the caller explains the first bad value in words;
- :func:`rescale` turns (mantissa, fraction digits) into raw int64 at a precision, flagging values
  that need more decimals (never rounded) or overflow.
"""

from __future__ import annotations

import numpy as np
from numba import njit

OK, BAD_SYNTAX, OVERFLOW, TOO_PRECISE = 0, 1, 2, 3
_POW10 = 10 ** np.arange(19, dtype=np.int64)


@njit(cache=True)
def _scan(data, offsets, mant, frac, status):  # pragma: no cover - compiled
    edge = 922337203685477580  # (2**63 - 1) // 10; the last digit may be at most 7
    for i in range(len(mant)):
        s, e = offsets[i], offsets[i + 1]
        neg = False
        if s < e and (data[s] == 45 or data[s] == 43):
            neg = data[s] == 45
            s += 1
        m = 0
        f = 0
        pending = 0
        digits = 0
        dot = False
        st = 0
        for k in range(s, e):
            c = data[k]
            if c == 46:
                if dot:
                    st = 1
                    break
                dot = True
                continue
            d = c - 48
            if d < 0 or d > 9:
                st = 1
                break
            digits += 1
            if dot:
                if d == 0:
                    pending += 1
                    continue
                while pending > 0:
                    if m > edge:
                        st = 2
                    m = m * 10
                    pending -= 1
                    f += 1
                f += 1
            if m >= edge and (m > edge or d > 7):
                st = 2
            m = m * 10 + d
        if st == 0 and digits == 0:
            st = 1
        mant[i] = -m if neg else m
        frac[i] = f
        status[i] = st


@njit(cache=True)
def _rescale(mant, frac, status, precision, pow10, raw, out):  # pragma: no cover - compiled
    for i in range(len(mant)):
        st = status[i]
        r = 0
        if st == 0:
            shift = precision - frac[i]
            m = mant[i]
            if shift < 0:
                st = 3
            elif m != 0:
                if shift > 18:
                    st = 2
                else:
                    p = pow10[shift]
                    a = -m if m < 0 else m
                    if a > 9223372036854775807 // p:
                        st = 2
                    else:
                        r = m * p
        raw[i] = r
        out[i] = st


def scan_decimals(data: np.ndarray, offsets: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns (mantissa int64, fraction digits int64, status uint8) per value."""
    n = len(offsets) - 1
    mant, frac = np.empty(n, np.int64), np.empty(n, np.int64)
    status = np.empty(n, np.uint8)
    if n:
        _scan(data, offsets, mant, frac, status)
    return mant, frac, status


def rescale(mant: np.ndarray, frac: np.ndarray, status: np.ndarray, precision: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """Returns (raw int64 at ``precision``, status) with TOO_PRECISE and OVERFLOW added."""
    raw, out = np.empty(len(mant), np.int64), np.empty(len(mant), np.uint8)
    if len(mant):
        _rescale(mant, frac, status, precision, _POW10, raw, out)
    return raw, out
