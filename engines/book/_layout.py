"""The books' array layouts and kernel codes, without numba (importing a book costs no numba).

The numba kernels (``_levels``, ``_orders``, ``_status``, ``_l2_apply``, ``_l3_apply``) read these
as compile-time globals; the book classes import the kernels only when they first apply or query,
so a backtest with no order book never imports numba.

Codes mirror :mod:`domain.enums` (BookAction, BookLevel, RecordFlag), :mod:`domain.kinds`
(BOOK_DELTA) and :class:`engines.book.issues.BookIssue`; tests/unit/test_book_kernels.py checks
that they agree.
"""

from __future__ import annotations

import numpy as np

# price levels: lv[side, field, i]
KEY, SIZE, COUNT, HEAD, TAIL = 0, 1, 2, 3, 4
N_FIELDS = 5
BID, ASK = 0, 1

# L3 order pool: orders[field, slot]; state[N_ORDERS], state[FREE_HEAD]
OID, PRICE, OSIZE, OSIDE, PREV, NEXT = 0, 1, 2, 3, 4, 5
N_ORDER_FIELDS = 6
N_ORDERS, FREE_HEAD = 0, 1

# kernel return status
OK, GROW, ISSUE = 0, 1, 2
# book ``state`` slots (L3 uses 0 and 1 for its order pool: N_ORDERS, FREE_HEAD)
APPLIED, N_LOGGED = 2, 3
STATE_SIZE = 4
KIND_BOOK_DELTA = 23
FLAG_LAST = 0x0002
ACT_ADD, ACT_MODIFY, ACT_CANCEL, ACT_CLEAR, ACT_TRADE, ACT_FILL, ACT_NONE = 1, 2, 3, 4, 5, 6, 7
LEVEL_L2, LEVEL_L3 = 2, 3
ISS_CANCEL_UNKNOWN, ISS_MODIFY_MISSING, ISS_CANCEL_EXCEEDS = 1, 2, 3
ISS_DUP_ADD, ISS_BAD_SIDE, ISS_BAD_SIZE = 4, 5, 6
ISS_BAD_ACTION, ISS_WRONG_LEVEL, ISS_CANCEL_UNKNOWN_LEVEL, ISS_FILL_UNKNOWN = 7, 8, 9, 10


def new_levels(capacity: int) -> np.ndarray:
    """Returns an empty level array for ``capacity`` levels per side."""
    return np.zeros((2, N_FIELDS, capacity), np.int64)


def new_pool(capacity: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns (orders, hkeys, hvals) for ``capacity`` orders, all slots on the free list."""
    orders = np.zeros((N_ORDER_FIELDS, capacity), np.int64)
    orders[NEXT, :] = np.arange(1, capacity + 1)
    orders[NEXT, capacity - 1] = -1
    return orders, np.zeros(2 * capacity, np.int64), np.full(2 * capacity, -1, np.int64)
