"""L3 queue position of a simulated resting order (market-by-order data).

Modelling assumption (FIFO per price level, Databento MBO conventions): the simulated order
joins the back of its level's queue; ``ahead`` holds the orders that were queued before it and
the size of each still ahead. The volume ahead only decreases:

- FILL of an order ahead: that size is traded away (and remembered as ``pending``, because the
  CANCEL / MODIFY that follows in the data removes the same size from the book: not counted twice);
- CANCEL of an order ahead: removes its size (after the pending fills are used up);
- MODIFY of an order ahead: a price or side change or a size increase loses the order its
  priority (it leaves ``ahead``); a decrease shrinks it;
- ADD: new orders queue behind; TRADE: the aggressor's report, no queue effect;
- CLEAR: the queue is lost; the order re-joins at the back once the book is rebuilt.

Fills of the simulated order (:meth:`QueuePosition.on_fill`): a FILL at its level of an order not
ahead of it gives it that size only once nothing is ahead; a FILL beyond its level (the aggressor
swept through it) clears the queue and fills it entirely. The volume ahead is never negative.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from domain.enums import BookAction, OrderSide

SWEPT = 1 << 62  # "everything": the aggressor traded through the order's level


class QueuePosition:
    """The orders ahead of one simulated order at its price level, with their sizes."""

    __slots__ = ("ahead", "pending", "volume_ahead", "rejoin")

    def __init__(self, ahead: dict[int, int] | None = None) -> None:
        self.ahead: dict[int, int] = dict(ahead or {})
        self.pending: dict[int, int] = {}
        self.volume_ahead: int = sum(self.ahead.values())
        self.rejoin = False

    @classmethod
    def join(cls, book_orders: dict[str, np.ndarray], side: int, price_raw: int) -> QueuePosition:
        """Returns the position at the back of the level ``(side, price_raw)`` of an L3 book
        (``L3Book.orders()`` columns, FIFO within a level)."""
        mask = (book_orders["side"] == side) & (book_orders["price"] == price_raw)
        oids = book_orders["order_id"][mask].tolist()
        sizes = book_orders["size"][mask].tolist()
        return cls(dict(zip(oids, sizes, strict=True)))

    def _reduce(self, order_id: int, amount: int) -> None:
        have = self.ahead[order_id]
        cut = min(have, max(amount, 0))
        self.volume_ahead -= cut
        if have - cut:
            self.ahead[order_id] = have - cut
        else:
            del self.ahead[order_id]

    def on_delta(self, action: int, side: int, price_raw: int, size_raw: int, order_id: int,
                 my_side: int, my_price_raw: int) -> int:
        """Applies one L3 delta; returns the size it lets the simulated order fill (0, a size,
        or :data:`SWEPT`)."""
        if action == BookAction.CLEAR:
            self.ahead.clear()
            self.pending.clear()
            self.volume_ahead = 0
            self.rejoin = True
            return 0
        if side != my_side:
            return 0
        if action == BookAction.FILL:
            return self._on_fill(price_raw, size_raw, order_id, my_side, my_price_raw)
        if order_id not in self.ahead and order_id not in self.pending:
            return 0
        if action == BookAction.CANCEL:
            used = min(self.pending.get(order_id, 0), size_raw)
            if used:
                self._set_pending(order_id, self.pending[order_id] - used)
            if order_id in self.ahead:
                self._reduce(order_id, size_raw - used)
        elif action == BookAction.MODIFY:
            filled = self.pending.pop(order_id, 0)
            if order_id in self.ahead:
                have = self.ahead[order_id]
                if price_raw != my_price_raw or size_raw > have + filled:
                    self._reduce(order_id, have)
                else:
                    self._reduce(order_id, have - size_raw)
        return 0

    def _set_pending(self, order_id: int, value: int) -> None:
        if value:
            self.pending[order_id] = value
        else:
            self.pending.pop(order_id, None)

    def _on_fill(self, price_raw: int, size_raw: int, order_id: int, my_side: int,
                 my_price_raw: int) -> int:
        if price_raw != my_price_raw:
            beyond = price_raw < my_price_raw if my_side == OrderSide.BUY else price_raw > my_price_raw
            if not beyond:
                return 0
            self.ahead.clear()
            self.pending.clear()
            self.volume_ahead = 0
            return SWEPT
        if order_id in self.ahead:
            before = self.ahead[order_id]
            self._reduce(order_id, size_raw)
            self._set_pending(order_id, self.pending.get(order_id, 0) + before - self.ahead.get(order_id, 0))
            return 0
        return size_raw if self.volume_ahead == 0 else 0

    def to_doc(self) -> dict[str, Any]:
        """Returns the position as plain data (FIFO order kept)."""
        return {"ahead": [[k, v] for k, v in self.ahead.items()],
                "pending": [[k, v] for k, v in self.pending.items()], "rejoin": self.rejoin}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> QueuePosition:
        """Rebuilds a position from :meth:`to_doc` data."""
        q = cls({int(k): int(v) for k, v in doc["ahead"]})
        q.pending = {int(k): int(v) for k, v in doc["pending"]}
        q.rejoin = bool(doc["rejoin"])
        return q
