"""Numba kernels for the L3 order pool and its order-id hash map.

Pool: ``orders[field, slot]`` (int64): OID (order id bits), PRICE, SIZE, SIDE (0 bid, 1 ask),
PREV, NEXT (FIFO queue links within the level; NEXT also links the free list). ``state`` holds
N_ORDERS and FREE_HEAD. Hash map: open addressing with linear probing over ``hkeys`` / ``hvals``
(slot, -1 = empty), capacity = 2 x pool capacity (load <= 0.5), deletion by backward shift (no
tombstones). Nothing here allocates: callers check capacity and grow (see :mod:`.l3`).
"""

from __future__ import annotations

import numpy as np

from engines.book._layout import (  # noqa: F401  (re-exported for the kernels)
    FREE_HEAD,
    N_ORDER_FIELDS,
    N_ORDERS,
    NEXT,
    OID,
    OSIDE,
    OSIZE,
    PREV,
    PRICE,
    new_pool,
)
from engines.book._levels import (
    COUNT,
    HEAD,
    SIZE,
    TAIL,
    find_level,
    insert_level,
    key_of,
    remove_level,
)
from engines.jit import njit

_GOLDEN = -7046029254386353131  # 0x9E3779B97F4A7C15 as int64


@njit(cache=True)
def _home(key: int, mask: int) -> int:
    h = key * _GOLDEN
    return (h ^ (h >> 29)) & mask


@njit(cache=True)
def lookup(hkeys: np.ndarray, hvals: np.ndarray, key: int) -> int:
    """Returns the slot of order id ``key``, or -1."""
    mask = hvals.size - 1
    i = _home(key, mask)
    while hvals[i] != -1:
        if hkeys[i] == key:
            return hvals[i]
        i = (i + 1) & mask
    return -1


@njit(cache=True)
def map_insert(hkeys: np.ndarray, hvals: np.ndarray, key: int, slot: int) -> None:
    mask = hvals.size - 1
    i = _home(key, mask)
    while hvals[i] != -1:
        i = (i + 1) & mask
    hkeys[i] = key
    hvals[i] = slot


@njit(cache=True)
def map_delete(hkeys: np.ndarray, hvals: np.ndarray, key: int) -> None:
    mask = hvals.size - 1
    i = _home(key, mask)
    while hkeys[i] != key or hvals[i] == -1:
        i = (i + 1) & mask
    j = i
    while True:
        hvals[i] = -1
        while True:
            j = (j + 1) & mask
            if hvals[j] == -1:
                return
            k = _home(hkeys[j], mask)
            # the entry at j may stay iff its home lies cyclically in (i, j]
            if (i <= j and i < k <= j) or (i > j and (k > i or k <= j)):
                continue
            break
        hkeys[i] = hkeys[j]
        hvals[i] = hvals[j]
        i = j


@njit(cache=True)
def rehash(orders: np.ndarray, n_slots: int, hkeys: np.ndarray, hvals: np.ndarray) -> None:
    """Inserts every live order of the first ``n_slots`` slots into an empty map."""
    for slot in range(n_slots):
        if orders[OSIZE, slot] > 0:
            map_insert(hkeys, hvals, orders[OID, slot], slot)


@njit(cache=True)
def enqueue(lv: np.ndarray, n_lv: np.ndarray, orders: np.ndarray, slot: int) -> None:
    """Appends the order in ``slot`` to the tail of its level, opening the level if needed."""
    s = orders[OSIDE, slot]
    key = key_of(s, orders[PRICE, slot])
    pos = find_level(lv, n_lv[s], s, key)
    if pos < 0:
        pos = -pos - 1
        insert_level(lv, n_lv, s, pos, key)
    tail = lv[s, TAIL, pos]
    orders[PREV, slot] = tail
    orders[NEXT, slot] = -1
    if tail == -1:
        lv[s, HEAD, pos] = slot
    else:
        orders[NEXT, tail] = slot
    lv[s, TAIL, pos] = slot
    lv[s, SIZE, pos] += orders[OSIZE, slot]
    lv[s, COUNT, pos] += 1


@njit(cache=True)
def dequeue(lv: np.ndarray, n_lv: np.ndarray, orders: np.ndarray, slot: int) -> None:
    """Unlinks the order in ``slot`` from its level, closing the level when it empties."""
    s = orders[OSIDE, slot]
    pos = find_level(lv, n_lv[s], s, key_of(s, orders[PRICE, slot]))
    prev, nxt = orders[PREV, slot], orders[NEXT, slot]
    if prev == -1:
        lv[s, HEAD, pos] = nxt
    else:
        orders[NEXT, prev] = nxt
    if nxt == -1:
        lv[s, TAIL, pos] = prev
    else:
        orders[PREV, nxt] = prev
    lv[s, SIZE, pos] -= orders[OSIZE, slot]
    lv[s, COUNT, pos] -= 1
    if lv[s, COUNT, pos] == 0:
        remove_level(lv, n_lv, s, pos)


@njit(cache=True)
def free_order(orders: np.ndarray, hkeys: np.ndarray, hvals: np.ndarray, state: np.ndarray,
               slot: int) -> None:
    map_delete(hkeys, hvals, orders[OID, slot])
    orders[OSIZE, slot] = 0
    orders[NEXT, slot] = state[FREE_HEAD]
    state[FREE_HEAD] = slot
    state[N_ORDERS] -= 1


@njit(cache=True)
def volume_ahead(lv: np.ndarray, n_lv: np.ndarray, orders: np.ndarray, slot: int
                 ) -> tuple[int, int]:
    """Returns (raw size, number of orders) queued ahead of the order in ``slot``."""
    volume, count = 0, 0
    cur = orders[PREV, slot]
    while cur != -1:
        volume += orders[OSIZE, cur]
        count += 1
        cur = orders[PREV, cur]
    return volume, count


@njit(cache=True)
def collect(lv: np.ndarray, n_lv: np.ndarray, orders: np.ndarray, n_orders: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Returns (side, price, size, order id bits) of every order: bids then asks, best level
    first, FIFO within a level."""
    side = np.empty(n_orders, np.uint8)
    price = np.empty(n_orders, np.int64)
    size = np.empty(n_orders, np.int64)
    oid = np.empty(n_orders, np.int64)
    k = 0
    for s in range(2):
        for pos in range(n_lv[s] - 1, -1, -1):
            cur = lv[s, HEAD, pos]
            while cur != -1:
                side[k] = s + 1
                price[k] = orders[PRICE, cur]
                size[k] = orders[OSIZE, cur]
                oid[k] = orders[OID, cur]
                k += 1
                cur = orders[NEXT, cur]
    return side, price, size, oid


@njit(cache=True)
def level_of(lv: np.ndarray, n_lv: np.ndarray, s: int, price: int) -> int:
    """Returns the level index of ``price`` on side ``s``, or -1."""
    pos = find_level(lv, n_lv[s], s, key_of(s, price))
    return pos if pos >= 0 else -1

