"""The L2 hot path: a batch of BOOK_DELTA records applied to price levels in one numba call.

Same protocol as :mod:`engines.book._l3_apply`: returns ``(status, index, n_crossed)``.
"""

from __future__ import annotations

import numpy as np

from engines.book._layout import (
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
    ISS_CANCEL_UNKNOWN_LEVEL,
    ISS_WRONG_LEVEL,
    ISSUE,
    KIND_BOOK_DELTA,
    LEVEL_L2,
    OK,
)
from engines.book._levels import (
    SIZE,
    crossed,
    find_level,
    insert_level,
    key_of,
    remove_level,
    side_index,
)
from engines.book._status import log_issue
from engines.jit import njit


@njit(cache=True)
def _step(a: int, s_raw: int, price: int, size: int, lv: np.ndarray, n_lv: np.ndarray) -> int:
    """Applies one L2 delta; returns 0, -1 for GROW, or an issue code (delta not applied)."""
    if a in (ACT_TRADE, ACT_FILL, ACT_NONE):
        return 0
    if a == ACT_CLEAR:
        n_lv[0] = 0
        n_lv[1] = 0
        return 0
    if a != ACT_ADD and a != ACT_MODIFY and a != ACT_CANCEL:
        return ISS_BAD_ACTION
    s = side_index(s_raw)
    if s < 0:
        return ISS_BAD_SIDE
    key = key_of(s, price)
    pos = find_level(lv, n_lv[s], s, key)
    if a == ACT_CANCEL:
        if pos < 0:
            return ISS_CANCEL_UNKNOWN_LEVEL
        remove_level(lv, n_lv, s, pos)
        return 0
    if size < 0:
        return ISS_BAD_SIZE
    if size == 0:
        if pos >= 0:
            remove_level(lv, n_lv, s, pos)
        return 0
    if pos < 0:
        if n_lv[s] == lv.shape[2]:
            return -1
        pos = -pos - 1
        insert_level(lv, n_lv, s, pos, key)
    lv[s, SIZE, pos] = size
    return 0


@njit(cache=True)
def apply_l2(batch: np.ndarray, instrument_id: int, start: int, lv: np.ndarray, n_lv: np.ndarray,
             state: np.ndarray, counts: np.ndarray, log: np.ndarray, fail_fast: bool,
             crossed_out: np.ndarray, n_crossed: int) -> tuple[int, int, int]:
    """Applies records ``start..`` of this instrument's L2 BOOK_DELTAs; others are skipped."""
    check = crossed_out.size > 0
    for i in range(start, batch.size):
        r = batch[i]
        if r.kind != KIND_BOOK_DELTA or r.instrument_id != instrument_id:
            continue
        code = ISS_WRONG_LEVEL if r.level != LEVEL_L2 else _step(r.action, r.side, r.price, r.size, lv,
                                                         n_lv)
        if code == -1:
            return GROW, i, n_crossed
        if code > 0:
            log_issue(counts, log, state, code, np.int64(r.seq), np.int64(r.order_id), r.size)
            if fail_fast:
                return ISSUE, i, n_crossed
        state[APPLIED] += 1
        if check and (r.flags & FLAG_LAST) and crossed(lv, n_lv):
            crossed_out[n_crossed] = i
            n_crossed += 1
    return OK, batch.size, n_crossed
