"""Constants and the issue logger shared by the book kernels (numba-visible globals).

Codes mirror :mod:`domain.enums` (BookAction, BookLevel, RecordFlag), :mod:`domain.kinds`
(BOOK_DELTA) and :class:`engines.book.issues.BookIssue`; tests/unit/test_book_kernels.py checks
that they agree.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# kernel return status
OK, GROW, ISSUE = 0, 1, 2
# book ``state`` slots (L3 uses 0 and 1 for its order pool: N_ORDERS, FREE_HEAD)
APPLIED, N_LOGGED = 2, 3
STATE_SIZE = 4
KIND_BOOK_DELTA = 23
FLAG_LAST = 0x0002
ACT_ADD, ACT_MODIFY, ACT_CANCEL, ACT_CLEAR, ACT_TRADE, ACT_FILL, ACT_NONE = 1, 2, 3, 4, 5, 6, 7
LEVEL_L2, LEVEL_L3 = 2, 3
ISS_CANCEL_UNKNOWN, ISS_MODIFY_MISSING, ISS_CANCEL_EXCEEDS, ISS_DUP_ADD, ISS_BAD_SIDE, ISS_BAD_SIZE = 1, 2, 3, 4, 5, 6
ISS_BAD_ACTION, ISS_WRONG_LEVEL, ISS_CANCEL_UNKNOWN_LEVEL, ISS_FILL_UNKNOWN = 7, 8, 9, 10


@njit(cache=True)
def log_issue(counts: np.ndarray, log: np.ndarray, state: np.ndarray, code: int, seq: int,
              oid: int, value: int) -> None:
    """Counts an issue, logs it if the log has room, and always as the latest (last row).

    The issue's index is ``state[APPLIED]``: the records of this book applied before it.
    """
    counts[code] += 1
    n = state[N_LOGGED]
    last = log.shape[0] - 1
    for row in (min(n, last), last):
        log[row, 0] = code
        log[row, 1] = state[APPLIED]
        log[row, 2] = seq
        log[row, 3] = oid
        log[row, 4] = value
    state[N_LOGGED] = n + 1
