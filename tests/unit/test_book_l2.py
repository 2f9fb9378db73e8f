"""L2 book: level set / remove semantics, bad input, growth, snapshots."""

from __future__ import annotations

import numpy as np
import pytest

from domain.enums import BookAction, BookLevel, OrderSide
from engines.book import BookIntegrityError, BookIssue, L2Book, book_deltas

A, M, C, R, T = BookAction.ADD, BookAction.MODIFY, BookAction.CANCEL, BookAction.CLEAR, BookAction.TRADE
B, S, N = OrderSide.BUY, OrderSide.SELL, OrderSide.NO_SIDE
IID = 3


def d(*rows: tuple[int, int, int, int]) -> np.ndarray:
    """Rows of (action, side, price, size)."""
    cols = list(zip(*rows, strict=True))
    return book_deltas(IID, cols[0], cols[1], cols[2], cols[3], level=BookLevel.L2)


def book(*rows: tuple[int, int, int, int], **kw: object) -> L2Book:
    b = L2Book(IID, **kw)  # type: ignore[arg-type]
    b.apply(d(*rows))
    return b


def test_add_and_modify_set_the_level_size() -> None:
    b = book((A, B, 100, 5), (M, B, 100, 7), (A, S, 101, 2), (A, S, 101, 3))
    assert b.best_bid() == (100, 7)
    assert b.best_ask() == (101, 3)


def test_size_zero_removes_a_level_and_cancel_removes_it_too() -> None:
    b = book((A, B, 100, 5), (A, B, 99, 5), (A, S, 101, 2), (M, B, 100, 0), (C, S, 101, 0))
    assert b.best_bid() == (99, 5)
    assert b.best_ask() is None
    assert b.issues.total == 0


def test_clear_and_trades() -> None:
    b = book((A, B, 100, 5), (T, S, 100, 1), (R, N, 0, 0), (A, S, 101, 1))
    assert b.best_bid() is None and b.best_ask() == (101, 1)


def test_cancel_of_an_unknown_level_is_counted() -> None:
    b = book((C, S, 101, 0))
    assert b.issues.counts == {BookIssue.CANCEL_UNKNOWN_LEVEL: 1}


def test_an_l3_delta_in_an_l2_book_is_a_wrong_level_issue() -> None:
    b = L2Book(IID)
    b.apply(book_deltas(IID, [A], [B], [100], [1], [5]))
    assert b.issues.counts == {BookIssue.WRONG_LEVEL: 1}
    assert b.best_bid() is None


def test_fail_fast_raises_on_a_negative_level_size() -> None:
    b = L2Book(IID, fail_fast=True)
    with pytest.raises(BookIntegrityError, match="BAD_SIZE at record index 0 .*value=-4"):
        b.apply(d((A, B, 100, -4)))


def test_levels_grow_without_loss_and_depth_is_sorted() -> None:
    b = book(*[(A, B, 1000 - 3 * i, i + 1) for i in range(500)], level_capacity=1)
    bids, _ = b.depth(500)
    assert bids[:, 0].tolist() == [1000 - 3 * i for i in range(500)]
    assert b.n_levels(B) == 500


def test_crossed_after_last_is_reported() -> None:
    b = L2Book(IID)
    assert b.apply_checked(d((A, B, 100, 1), (A, S, 101, 1), (A, S, 99, 1))).tolist() == [2]


def test_snapshot_restore_round_trips() -> None:
    b = book((A, B, 100, 5), (A, B, 98, 5), (A, S, 103, 1), (C, S, 200, 0))
    r = L2Book.restore(b.snapshot())
    assert [x.tolist() for x in r.depth(10)] == [x.tolist() for x in b.depth(10)]
    assert r.issues == b.issues and r.n_applied == b.n_applied == 4
