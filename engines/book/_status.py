"""The issue logger shared by the book kernels, and their codes (from :mod:`._layout`).

Codes mirror :mod:`domain.enums` (BookAction, BookLevel, RecordFlag), :mod:`domain.kinds`
(BOOK_DELTA) and :class:`engines.book.issues.BookIssue`; tests/unit/test_book_kernels.py checks
that they agree.
"""

from __future__ import annotations

import numpy as np

from engines.book._layout import (  # noqa: F401  (the kernels' codes, re-exported)
    ACT_ADD,
    ACT_CANCEL,
    ACT_CLEAR,
    ACT_FILL,
    ACT_MODIFY,
    ACT_NONE,
    ACT_TRADE,
    APPLIED,
    FLAG_LAST,
    GROW,
    ISS_BAD_ACTION,
    ISS_BAD_SIDE,
    ISS_BAD_SIZE,
    ISS_CANCEL_EXCEEDS,
    ISS_CANCEL_UNKNOWN,
    ISS_CANCEL_UNKNOWN_LEVEL,
    ISS_DUP_ADD,
    ISS_FILL_UNKNOWN,
    ISS_MODIFY_MISSING,
    ISS_WRONG_LEVEL,
    ISSUE,
    KIND_BOOK_DELTA,
    LEVEL_L2,
    LEVEL_L3,
    N_LOGGED,
    OK,
    STATE_SIZE,
)
from engines.jit import njit


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
