"""The issue logger shared by the book kernels (their codes are in :mod:`._layout`)."""

from __future__ import annotations

import numpy as np

from engines.book._layout import APPLIED, N_LOGGED
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
