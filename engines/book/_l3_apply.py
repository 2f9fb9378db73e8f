"""The L3 hot path: a whole batch of BOOK_DELTA records applied in one numba call.

Returns ``(status, index, n_crossed)``: status OK (all applied), GROW (record ``index`` needs a
larger pool or level array: grow and call again from ``index``) or ISSUE (fail-fast: record
``index`` is bad and was not applied). Benchmark: perf/mbo_book_replay.py (>= 2 M records/s).
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
    ISS_CANCEL_EXCEEDS,
    ISS_CANCEL_UNKNOWN,
    ISS_DUP_ADD,
    ISS_FILL_UNKNOWN,
    ISS_MODIFY_MISSING,
    ISS_WRONG_LEVEL,
    ISSUE,
    KIND_BOOK_DELTA,
    LEVEL_L3,
    OK,
)
from engines.book._levels import SIZE, crossed, find_level, key_of, side_index
from engines.book._orders import (
    FREE_HEAD,
    N_ORDERS,
    NEXT,
    OID,
    OSIDE,
    OSIZE,
    PRICE,
    dequeue,
    enqueue,
    free_order,
    lookup,
    map_insert,
)
from engines.book._status import log_issue
from engines.jit import njit


@njit(cache=True)
def clear_l3(lv: np.ndarray, n_lv: np.ndarray, orders: np.ndarray, hvals: np.ndarray,
             state: np.ndarray) -> None:
    """Empties the book: every slot back on the free list, the map emptied."""
    cap = orders.shape[1]
    for slot in range(cap):
        orders[OSIZE, slot] = 0
        orders[NEXT, slot] = slot + 1
    orders[NEXT, cap - 1] = -1
    hvals[:] = -1
    n_lv[0] = 0
    n_lv[1] = 0
    state[N_ORDERS] = 0
    state[FREE_HEAD] = 0


@njit(cache=True)
def _step(a: int, s_raw: int, price: int, size: int, oid: int, lv: np.ndarray, n_lv: np.ndarray,
          orders: np.ndarray, hkeys: np.ndarray, hvals: np.ndarray, state: np.ndarray,
          fail_fast: bool) -> int:
    """Applies one L3 delta; returns 0, -1 for GROW, or an issue code.

    On an issue the delta is not applied, except an oversized cancel when not failing fast (the
    order is removed).
    """
    if a in (ACT_TRADE, ACT_NONE):
        return 0
    if a == ACT_CLEAR:
        clear_l3(lv, n_lv, orders, hvals, state)
        return 0
    slot = lookup(hkeys, hvals, oid)
    if a == ACT_FILL:  # a side-less fill (N: the opening auction's) may name an unseen order
        return ISS_FILL_UNKNOWN if slot == -1 and side_index(s_raw) >= 0 else 0
    if a == ACT_ADD:
        s = side_index(s_raw)
        if slot != -1:
            return ISS_DUP_ADD
        if s < 0:
            return ISS_BAD_SIDE
        if size <= 0:
            return ISS_BAD_SIZE
        if state[FREE_HEAD] == -1 or n_lv[s] == lv.shape[2]:
            return -1
        slot = state[FREE_HEAD]
        state[FREE_HEAD] = orders[NEXT, slot]
        state[N_ORDERS] += 1
        orders[OID, slot] = oid
        orders[PRICE, slot] = price
        orders[OSIZE, slot] = size
        orders[OSIDE, slot] = s
        map_insert(hkeys, hvals, oid, slot)
        enqueue(lv, n_lv, orders, slot)
        return 0
    if a == ACT_CANCEL:
        if slot == -1:
            return ISS_CANCEL_UNKNOWN
        if size <= 0:
            return ISS_BAD_SIZE
        rest = orders[OSIZE, slot]
        if size > rest and fail_fast:
            return ISS_CANCEL_EXCEEDS
        if size >= rest:
            dequeue(lv, n_lv, orders, slot)
            free_order(orders, hkeys, hvals, state, slot)
            return ISS_CANCEL_EXCEEDS if size > rest else 0
        orders[OSIZE, slot] = rest - size
        s = orders[OSIDE, slot]
        pos = _level_pos(lv, n_lv, s, orders[PRICE, slot])
        lv[s, SIZE, pos] -= size
        return 0
    if a == ACT_MODIFY:
        if slot == -1:
            return ISS_MODIFY_MISSING
        s = side_index(s_raw)
        if s < 0:
            return ISS_BAD_SIDE
        if size < 0:
            return ISS_BAD_SIZE
        if size == 0:
            dequeue(lv, n_lv, orders, slot)
            free_order(orders, hkeys, hvals, state, slot)
            return 0
        old_s, old_price, old_size = orders[OSIDE, slot], orders[PRICE, slot], orders[OSIZE, slot]
        if s == old_s and price == old_price and size <= old_size:
            # a size decrease keeps queue priority
            pos = _level_pos(lv, n_lv, s, price)
            lv[s, SIZE, pos] -= old_size - size
            orders[OSIZE, slot] = size
            return 0
        if n_lv[s] == lv.shape[2]:
            return -1
        # a price change or a size increase loses priority: back of the (new) level's queue
        dequeue(lv, n_lv, orders, slot)
        orders[OSIDE, slot] = s
        orders[PRICE, slot] = price
        orders[OSIZE, slot] = size
        enqueue(lv, n_lv, orders, slot)
        return 0
    return ISS_BAD_ACTION


@njit(cache=True)
def _level_pos(lv: np.ndarray, n_lv: np.ndarray, s: int, price: int) -> int:
    return find_level(lv, n_lv[s], s, key_of(s, price))


@njit(cache=True)
def apply_l3(batch: np.ndarray, instrument_id: int, start: int, lv: np.ndarray, n_lv: np.ndarray,
             orders: np.ndarray, hkeys: np.ndarray, hvals: np.ndarray, state: np.ndarray,
             counts: np.ndarray, log: np.ndarray, fail_fast: bool, crossed_out: np.ndarray,
             n_crossed: int) -> tuple[int, int, int]:
    """Applies records ``start..`` of this instrument's BOOK_DELTAs in ``batch`` (BOOK_DELTA
    dtype); records of other kinds or instruments are skipped.

    When ``crossed_out`` is non-empty, the batch index of every LAST record after which the book
    is crossed or locked is written to it from ``n_crossed`` on.
    """
    check = crossed_out.size > 0
    for i in range(start, batch.size):
        r = batch[i]
        if r.kind != KIND_BOOK_DELTA or r.instrument_id != instrument_id:
            continue
        oid = np.int64(r.order_id)
        if r.level != LEVEL_L3:
            code = ISS_WRONG_LEVEL
        else:
            code = _step(r.action, r.side, r.price, r.size, oid, lv, n_lv, orders, hkeys, hvals,
                         state, fail_fast)
        if code == -1:
            return GROW, i, n_crossed
        if code > 0:
            log_issue(counts, log, state, code, np.int64(r.seq), oid, r.size)
            if fail_fast:
                return ISSUE, i, n_crossed
        state[APPLIED] += 1
        if check and (r.flags & FLAG_LAST) and crossed(lv, n_lv):
            crossed_out[n_crossed] = i
            n_crossed += 1
    return OK, batch.size, n_crossed
