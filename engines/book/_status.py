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
_BOOK_DELTA = 23
_LAST = 0x0002
_ADD, _MODIFY, _CANCEL, _CLEAR, _TRADE, _FILL = 1, 2, 3, 4, 5, 6
_L2, _L3 = 2, 3
_CANCEL_UNKNOWN, _MODIFY_MISSING, _CANCEL_EXCEEDS, _DUP_ADD, _BAD_SIDE, _BAD_SIZE = 1, 2, 3, 4, 5, 6
_BAD_ACTION, _WRONG_LEVEL, _CANCEL_UNKNOWN_LEVEL = 7, 8, 9


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
