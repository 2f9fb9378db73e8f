"""Numba kernels over sorted price-level arrays, shared by the L2 and L3 books.

Layout: ``lv[side, field, i]`` (int64), side 0 = bids, 1 = asks; ``n_lv[side]`` levels in use.
Levels are sorted by ``key`` ascending with the best level LAST (key = price for bids, -price for
asks), so the busy top of the book is at the cheap end of every insert / remove shift. Fields:
KEY, SIZE (total raw size), COUNT (orders; L3 only), HEAD and TAIL (order slots of the FIFO queue;
L3 only). Benchmark: perf/mbo_book_replay.py.
"""

from __future__ import annotations

import numpy as np

from engines.book._layout import (  # noqa: F401  (re-exported for the kernels)
    ASK,
    BID,
    COUNT,
    HEAD,
    KEY,
    N_FIELDS,
    SIZE,
    TAIL,
    new_levels,
)
from engines.jit import njit


@njit(cache=True)
def side_index(order_side: int) -> int:
    """Maps OrderSide BUY (1) / SELL (2) to 0 / 1; anything else to -1."""
    if order_side == 1:
        return BID
    if order_side == 2:
        return ASK
    return -1


@njit(cache=True)
def key_of(s: int, price: int) -> int:
    return price if s == BID else -price


@njit(cache=True)
def find_level(lv: np.ndarray, n: int, s: int, key: int) -> int:
    """Returns the index of ``key``'s level, or ``-(insertion index) - 1`` when absent."""
    lo, hi = 0, n
    keys = lv[s, KEY]
    # most updates hit the top of the book: check the best level before bisecting
    if n > 0 and keys[n - 1] == key:
        return n - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    if lo < n and keys[lo] == key:
        return lo
    return -lo - 1


@njit(cache=True)
def insert_level(lv: np.ndarray, n_lv: np.ndarray, s: int, pos: int, key: int) -> None:
    """Opens an empty level at ``pos``; the caller has checked capacity."""
    n = n_lv[s]
    for i in range(n, pos, -1):
        for f in range(N_FIELDS):
            lv[s, f, i] = lv[s, f, i - 1]
    lv[s, KEY, pos] = key
    lv[s, SIZE, pos] = 0
    lv[s, COUNT, pos] = 0
    lv[s, HEAD, pos] = -1
    lv[s, TAIL, pos] = -1
    n_lv[s] = n + 1


@njit(cache=True)
def remove_level(lv: np.ndarray, n_lv: np.ndarray, s: int, pos: int) -> None:
    n = n_lv[s] - 1
    for i in range(pos, n):
        for f in range(N_FIELDS):
            lv[s, f, i] = lv[s, f, i + 1]
    n_lv[s] = n


@njit(cache=True)
def crossed(lv: np.ndarray, n_lv: np.ndarray) -> bool:
    """True when both sides have levels and best bid >= best ask (crossed or locked)."""
    if n_lv[0] == 0 or n_lv[1] == 0:
        return False
    return lv[0, KEY, n_lv[0] - 1] >= -lv[1, KEY, n_lv[1] - 1]
