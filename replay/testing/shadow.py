"""An independent model of an L3 book in plain Python, folded beside the real book.

The checker folds every L3 BOOK_DELTA into both the engine's :class:`~engines.book.L3Book` and
this model; the invariants compare them (aggregated levels) and read the model's verdict on
each delta (unknown order ids, duplicate adds, oversized cancels). Sorted levels
(``sortedcontainers``) make the top of book O(log n).

Semantics (Databento MBO, as docs/books.md): ADD rests an order; CANCEL removes ``size`` from it
(all of it when ``size`` >= resting); MODIFY sets side, price and size (size 0 removes); CLEAR
empties the book; TRADE and FILL change nothing.
"""

from __future__ import annotations

from sortedcontainers import SortedDict

from domain.enums import BookAction, OrderSide

_ADD, _MODIFY, _CANCEL = int(BookAction.ADD), int(BookAction.MODIFY), int(BookAction.CANCEL)
_CLEAR = int(BookAction.CLEAR)
_BUY, _SELL = int(OrderSide.BUY), int(OrderSide.SELL)


class ShadowL3:
    """Orders by id and sizes by (side, price); ``apply`` returns the delta's issue, or None."""

    def __init__(self) -> None:
        self.orders: dict[int, list[int]] = {}  # order id -> [side, price, size]
        self.bids: SortedDict = SortedDict()
        self.asks: SortedDict = SortedDict()

    def _level(self, side: int) -> SortedDict:
        return self.bids if side == _BUY else self.asks

    def _move(self, side: int, price: int, size: int) -> None:
        lv = self._level(side)
        new = lv.get(price, 0) + size
        if new:
            lv[price] = new
        else:
            del lv[price]

    def apply(self, action: int, side: int, price: int, size: int, order_id: int) -> str | None:
        """Folds one delta; returns a description of what is wrong with it, or None."""
        if action == _ADD:
            if order_id in self.orders:
                return f"ADD of order_id {order_id}, which is already resting"
            if side not in (_BUY, _SELL) or size <= 0:
                return f"ADD of order_id {order_id} with side {side} size {size}"
            self.orders[order_id] = [side, price, size]
            self._move(side, price, size)
            return None
        if action in (_CANCEL, _MODIFY):
            order = self.orders.get(order_id)
            name = "CANCEL" if action == _CANCEL else "MODIFY"
            if order is None:
                return f"{name} of order_id {order_id}, which is not resting (never added)"
            o_side, o_price, o_size = order
            if action == _CANCEL:
                issue = None
                if size > o_size:
                    issue = f"CANCEL of {size} from order_id {order_id}, which rests {o_size}"
                removed = min(size, o_size)
                self._move(o_side, o_price, -removed)
                if removed == o_size:
                    del self.orders[order_id]
                else:
                    order[2] = o_size - removed
                return issue
            self._move(o_side, o_price, -o_size)
            if size <= 0:
                del self.orders[order_id]
                return None
            self.orders[order_id] = [side, price, size]
            self._move(side, price, size)
            return None
        if action == _CLEAR:
            self.orders.clear()
            self.bids.clear()
            self.asks.clear()
        return None

    def top(self, n: int) -> tuple[list[list[int]], list[list[int]]]:
        """Returns the best ``n`` levels per side as [price, size] lists, best first."""
        bids = [[p, self.bids[p]] for p in reversed(self.bids.keys()[-n:])] if n else []
        asks = [[p, self.asks[p]] for p in self.asks.keys()[:n]] if n else []
        return bids, asks
