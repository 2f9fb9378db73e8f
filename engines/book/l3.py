"""The L3 (market-by-order) book: orders by id, FIFO queues per price level.

Design contract (MBO conventions, Databento):
- ADD rests a new order at the back of its level's queue;
- CANCEL removes ``size`` from the order (partial or full; at 0 the order leaves the book);
- MODIFY sets the order's side / price / size: a price (or side) change or a size increase loses
  queue priority (the order goes to the back of its new level); a size decrease keeps it; a modify
  to size 0 removes the order;
- CLEAR empties the book; TRADE and FILL never change it;
- the book is consistent only after a LAST record (the ES pre-open is legitimately crossed);
- bad deltas are counted in :attr:`issues` (see :class:`~engines.book.issues.BookIssue`), or raise
  :class:`~engines.book.issues.BookIntegrityError` with ``fail_fast=True``;
- storage never drops an order: the pool and level arrays double when full.
"""

from __future__ import annotations

import attrs
import numpy as np

from domain.enums import BookAction, OrderSide
from engines.book import _layout as lay
from engines.book._layout import APPLIED, COUNT, HEAD, ISSUE, KEY, OK, SIZE, TAIL
from engines.book.base import LevelBook
from engines.book.deltas import book_deltas
from engines.book.kernels import book_kernels
from engines.book.l2 import L2Book


@attrs.frozen
class RestingOrder:
    """An order in the book. ``queue_position`` is the number of orders ahead of it (0 = first);
    ``volume_ahead`` their total raw size."""

    order_id: int
    side: OrderSide
    price_raw: int
    size_raw: int
    queue_position: int
    volume_ahead: int


class L3Book(LevelBook):
    """An L3 book for one instrument; BOOK_DELTA records of other instruments are skipped."""

    def __init__(self, instrument_id: int, *, order_capacity: int = 4096, level_capacity: int = 256,
                 fail_fast: bool = False) -> None:
        if order_capacity < 1 or order_capacity & (order_capacity - 1):
            raise ValueError(f"order_capacity must be a power of two, got {order_capacity}")
        super().__init__(instrument_id, level_capacity=level_capacity, fail_fast=fail_fast)
        self._orders, self._hkeys, self._hvals = lay.new_pool(order_capacity)

    @property
    def n_orders(self) -> int:
        """Returns the number of resting orders."""
        return int(self._state[lay.N_ORDERS])

    def _run(self, deltas: np.ndarray, crossed_out: np.ndarray) -> int:
        k = book_kernels()  # compiled ahead of time (or numba), loaded when a book first applies
        start, n_crossed = 0, 0
        while True:
            status, start, n_crossed = k.apply_l3(
                deltas, self.instrument_id, start, self._lv, self._n_lv, self._orders, self._hkeys,
                self._hvals, self._state, self._issue_counts, self._issue_log, self.fail_fast,
                crossed_out, n_crossed)
            if status == OK:
                return n_crossed
            if status == ISSUE:
                self._raise_issue()
            self._grow()

    def _grow(self) -> None:
        if self._state[lay.FREE_HEAD] == -1:
            cap = self._orders.shape[1]
            orders, hkeys, hvals = lay.new_pool(2 * cap)
            orders[:, :cap] = self._orders  # new slots cap.. form the free list
            self._state[lay.FREE_HEAD] = cap
            book_kernels().rehash(orders, cap, hkeys, hvals)
            self._orders, self._hkeys, self._hvals = orders, hkeys, hvals
        if self._n_lv.max() >= self._lv.shape[2]:
            self._grow_levels()

    def clear(self) -> None:
        """Removes every order (the issue counters are kept)."""
        book_kernels().clear_l3(self._lv, self._n_lv, self._orders, self._hvals, self._state)

    # --- per-order queries (the simulated exchange's queue model) ------------------------------
    def _slot(self, order_id: int) -> int:
        key = np.uint64(order_id).view(np.int64)
        return int(book_kernels().lookup(self._hkeys, self._hvals, key))

    def order(self, order_id: int) -> RestingOrder | None:
        """Returns the resting order with this venue id, or None."""
        slot = self._slot(order_id)
        if slot < 0:
            return None
        volume, count = book_kernels().volume_ahead(self._lv, self._n_lv, self._orders, slot)
        return RestingOrder(
            order_id=int(order_id), side=OrderSide(int(self._orders[lay.OSIDE, slot]) + 1),
            price_raw=int(self._orders[lay.PRICE, slot]),
            size_raw=int(self._orders[lay.OSIZE, slot]),
            queue_position=int(count), volume_ahead=int(volume))

    def volume_ahead(self, order_id: int) -> int | None:
        """Returns the raw size queued ahead of the order at its level, or None if absent."""
        slot = self._slot(order_id)
        if slot < 0:
            return None
        return int(book_kernels().volume_ahead(self._lv, self._n_lv, self._orders, slot)[0])

    def orders(self) -> dict[str, np.ndarray]:
        """Returns every order as columns side, price, size, order_id: bids then asks, best level
        first, FIFO within a level."""
        side, price, size, oid = book_kernels().collect(self._lv, self._n_lv, self._orders,
                                                         self.n_orders)
        return {"side": side, "price": price, "size": size, "order_id": oid.view(np.uint64)}

    # --- conversions and snapshots -------------------------------------------------------------
    def to_l2(self) -> L2Book:
        """Returns an L2 book with this book's levels (sizes summed, order counts kept)."""
        l2 = L2Book(self.instrument_id, level_capacity=self._lv.shape[2], fail_fast=self.fail_fast)
        l2._lv[:, (KEY, SIZE, COUNT), :] = self._lv[:, (KEY, SIZE, COUNT), :]
        l2._lv[:, (HEAD, TAIL), :] = -1
        l2._n_lv[:] = self._n_lv
        return l2

    def snapshot(self) -> dict[str, np.ndarray]:
        """Returns the whole state as plain numpy arrays (orders in queue order, issue counters)."""
        return {**self.orders(), "instrument_id": np.array([self.instrument_id], np.int64),
                "counters": self._state[APPLIED:].copy(), "issue_counts": self._issue_counts.copy(),
                "issue_log": self._issue_log.copy()}

    @classmethod
    def restore(cls, snapshot: dict[str, np.ndarray], *, fail_fast: bool = False) -> L3Book:
        """Rebuilds a book equal to the one that took ``snapshot`` (queue order included)."""
        n = len(snapshot["order_id"])
        capacity = 1 << max(12, int(n).bit_length())
        book = cls(int(snapshot["instrument_id"][0]), order_capacity=capacity, fail_fast=fail_fast)
        records = book_deltas(book.instrument_id, np.full(n, BookAction.ADD), snapshot["side"],
                              snapshot["price"], snapshot["size"], snapshot["order_id"])
        book.apply(records)
        book._state[APPLIED:] = snapshot["counters"]
        book._issue_counts[:] = snapshot["issue_counts"]
        book._issue_log[:] = snapshot["issue_log"]
        return book
