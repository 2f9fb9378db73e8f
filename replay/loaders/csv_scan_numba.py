"""The numba twin of :func:`replay.loaders.csv_scan.scan_decimals`, for large files.

Design contract: :func:`scan_decimals` returns exactly what the Arrow-kernel version returns
(mantissa with the fraction's trailing zeros dropped, fraction digits, status) in one compiled
pass over the bytes; numba is imported only when this module is, i.e. only for a file large
enough that the faster pass pays for numba's import and cache load (see
:data:`replay.loaders.csv_scan.NUMBA_MIN_BYTES`).
"""

from __future__ import annotations

import numpy as np

from engines.jit import njit


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


def scan_decimals(data: np.ndarray, offsets: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns (mantissa int64, fraction digits int64, status uint8) per value."""
    n = len(offsets) - 1
    mant, frac = np.empty(n, np.int64), np.empty(n, np.int64)
    status = np.empty(n, np.uint8)
    if n:
        _scan(data, offsets, mant, frac, status)
    return mant, frac, status
