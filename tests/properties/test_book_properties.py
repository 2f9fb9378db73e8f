"""Book invariants on generated MBO streams, checked against a plain-Python reference model.

Invariants: (1) the L3 book equals the model (FIFO queues by the priority rules, issue counts);
(2) L3 -> L2 aggregation equals an L2 book built directly from the model's level updates;
(3) queue positions and volumes ahead are never negative; (4) no order or level has size <= 0.
"""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.enums import BookAction, BookLevel, OrderSide
from engines.book import BookIssue, L2Book, L3Book, book_deltas

A, M, C, R = BookAction.ADD, BookAction.MODIFY, BookAction.CANCEL, BookAction.CLEAR
IID = 1

raw_ops = st.lists(
    st.tuples(st.sampled_from([A, A, A, M, M, C, C, R]), st.integers(1, 8),
              st.sampled_from([OrderSide.BUY, OrderSide.SELL]), st.integers(99, 101),
              st.integers(0, 9), st.sampled_from(["as drawn", "same level", "same level+size"])),
    max_size=60,
)


def concrete(drawn: list[tuple[int, int, int, int, int, str]]) -> list[tuple[int, ...]]:
    """Turns drawn ops into a stream; a modify or cancel may target the order's own level (and
    exact size), so the rules for unchanged prices and exact sizes are exercised, not left to
    chance."""
    model, stream = Model(), []
    for action, oid, side, price, size, keep in drawn:
        if action in (M, C) and keep != "as drawn" and oid in model.orders:
            side, price, current = model.orders[oid]
            size = current if keep == "same level+size" else size
        model.apply(action, oid, side, price, size)
        stream.append((action, oid, side, price, size))
    return stream


ops = raw_ops.map(concrete)

B, S = OrderSide.BUY, OrderSide.SELL
#: Streams the rules hinge on, always checked (random draws reach them only sometimes): an
#: unchanged modify and an exact full cancel of an order with another queued behind it.
PRIORITY_CASE = [(A, 1, B, 100, 5), (A, 2, B, 100, 3), (M, 1, B, 100, 5), (A, 3, S, 101, 2),
                 (A, 4, S, 101, 2), (M, 3, S, 101, 1), (C, 4, S, 101, 2), (M, 2, B, 100, 4)]


class Model:
    """The MBO rules, written plainly: queues are Python lists of order ids."""

    def __init__(self) -> None:
        self.orders: dict[int, list[int]] = {}  # oid -> [side, price, size]
        self.queues: dict[tuple[int, int], list[int]] = {}
        self.issues: dict[BookIssue, int] = {}

    def level_size(self, key: tuple[int, int]) -> int:
        return sum(self.orders[o][2] for o in self.queues.get(key, []))

    def _issue(self, issue: BookIssue) -> None:
        self.issues[issue] = self.issues.get(issue, 0) + 1

    def _remove(self, oid: int) -> None:
        side, price, _ = self.orders.pop(oid)
        self.queues[(side, price)].remove(oid)

    def apply(self, action: int, oid: int, side: int, price: int, size: int) -> set[tuple[int, int]]:
        """Applies one delta; returns the (side, price) levels it touched."""
        if action == R:
            touched = set(self.queues)
            self.orders.clear()
            self.queues.clear()
            return touched
        known = oid in self.orders
        old = tuple(self.orders[oid][:2]) if known else None
        if action == A:
            if known:
                self._issue(BookIssue.DUPLICATE_ADD)
            elif size <= 0:
                self._issue(BookIssue.BAD_SIZE)
            else:
                self.orders[oid] = [side, price, size]
                self.queues.setdefault((side, price), []).append(oid)
            return {(side, price)}
        if not known:
            self._issue(BookIssue.CANCEL_UNKNOWN_ORDER if action == C
                        else BookIssue.MODIFY_MISSING_ORDER)
            return set()
        order = self.orders[oid]
        if action == C:
            if size <= 0:
                self._issue(BookIssue.BAD_SIZE)
            elif size >= order[2]:
                if size > order[2]:
                    self._issue(BookIssue.CANCEL_EXCEEDS_SIZE)
                self._remove(oid)
            else:
                order[2] -= size
            return {old}
        if size == 0:
            self._remove(oid)
        elif (side, price) == old and size <= order[2]:
            order[2] = size
        else:
            self._remove(oid)
            self.orders[oid] = [side, price, size]
            self.queues.setdefault((side, price), []).append(oid)
        return {old, (side, price)}


def run(stream: list[tuple[int, int, int, int, int]]) -> tuple[L3Book, L2Book, Model]:
    model, l2_rows = Model(), []
    for action, oid, side, price, size in stream:
        touched = model.apply(action, oid, side, price, size)
        if action == R:
            l2_rows.append((R, OrderSide.NO_SIDE, 0, 0))
        l2_rows += [(M, s, p, model.level_size((s, p))) for s, p in sorted(touched)]
    l3, l2 = L3Book(IID, order_capacity=2, level_capacity=1), L2Book(IID, level_capacity=1)
    if stream:
        cols = list(zip(*stream, strict=True))
        l3.apply(book_deltas(IID, cols[0], cols[2], cols[3], cols[4], cols[1]))
    if l2_rows:
        cols = list(zip(*l2_rows, strict=True))
        l2.apply(book_deltas(IID, cols[0], cols[1], cols[2], cols[3], level=BookLevel.L2))
    return l3, l2, model


@settings(max_examples=200)
@given(ops)
@example(PRIORITY_CASE)
def test_l3_book_matches_the_reference_model_queue_by_queue(stream: list) -> None:
    l3, _, model = run(stream)
    got = l3.orders()
    expected = [(s, p, model.orders[o][2], o)
                for s in (OrderSide.BUY, OrderSide.SELL)
                for p in sorted({p for (s2, p) in model.queues if s2 == s},
                                reverse=s == OrderSide.BUY)
                for o in model.queues[(s, p)]]
    assert list(zip(got["side"].tolist(), got["price"].tolist(), got["size"].tolist(),
                    got["order_id"].tolist(), strict=True)) == expected
    assert l3.issues.counts == model.issues
    assert l3.n_orders == len(model.orders)
    levels = list(dict.fromkeys((s, p) for s, p, _, _ in expected))  # bids then asks, best first
    bids, asks = l3.depth(100)
    assert [tuple(x) for x in bids.tolist() + asks.tolist()] == [
        (p, model.level_size((s, p))) for s, p in levels]


@settings(max_examples=200)
@given(ops)
def test_l3_to_l2_aggregation_equals_the_l2_book_built_directly(stream: list) -> None:
    l3, l2, _ = run(stream)
    agg = l3.to_l2()
    for got, direct in zip(agg.depth(100), l2.depth(100), strict=True):
        assert got.tolist() == direct.tolist()
    assert l2.issues.total == 0


@settings(max_examples=200)
@given(ops)
def test_queue_positions_and_sizes_are_never_negative(stream: list) -> None:
    l3 = L3Book(IID, order_capacity=2, level_capacity=1)
    for action, oid, side, price, size in stream:
        l3.apply(book_deltas(IID, [action], [side], [price], [size], [oid]))
        bids, asks = l3.depth(100)
        assert (bids[:, 1] > 0).all() and (asks[:, 1] > 0).all()
        for o in l3.orders()["order_id"].tolist():
            order = l3.order(o)
            assert order.size_raw > 0 and order.queue_position >= 0 and order.volume_ahead >= 0


@settings(max_examples=200)
@given(ops, st.integers(0, 60))
def test_snapshot_then_tail_equals_the_full_replay(stream: list, cut: int) -> None:
    cols = list(zip(*stream, strict=True)) if stream else [[]] * 5
    batch = book_deltas(IID, cols[0], cols[2], cols[3], cols[4], cols[1])
    full = L3Book(IID)
    full.apply(batch)
    head = L3Book(IID)
    head.apply(batch[:cut])
    resumed = L3Book.restore(head.snapshot())
    resumed.apply(batch[cut:])
    for key, col in full.snapshot().items():
        assert np.array_equal(col, resumed.snapshot()[key]), key
