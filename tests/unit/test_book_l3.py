"""L3 book: each MBO action, queue priority rules, bad input, growth, snapshots."""

from __future__ import annotations

import numpy as np
import pytest

from domain.enums import BookAction, BookLevel, OrderSide
from engines.book import BookIntegrityError, BookIssue, L3Book, book_deltas

A, M, C, R, T, F = (BookAction.ADD, BookAction.MODIFY, BookAction.CANCEL, BookAction.CLEAR,
                    BookAction.TRADE, BookAction.FILL)
B, S, N = OrderSide.BUY, OrderSide.SELL, OrderSide.NO_SIDE
IID = 7


def d(*rows: tuple[int, int, int, int, int], level: BookLevel = BookLevel.L3) -> np.ndarray:
    """Rows of (action, side, price, size, order_id)."""
    cols = list(zip(*rows, strict=True))
    return book_deltas(IID, cols[0], cols[1], cols[2], cols[3], cols[4], level=level)


def book(*rows: tuple[int, int, int, int, int], **kw: object) -> L3Book:
    b = L3Book(IID, **kw)  # type: ignore[arg-type]
    if rows:
        b.apply(d(*rows))
    return b


def test_add_rests_orders_and_best_prices_are_the_top_levels() -> None:
    b = book((A, B, 100, 5, 1), (A, B, 101, 2, 2), (A, S, 103, 4, 3), (A, S, 102, 1, 4))
    assert b.best_bid() == (101, 2)
    assert b.best_ask() == (102, 1)
    assert b.n_orders == 4
    assert not b.is_crossed()


def test_orders_at_one_price_aggregate_into_one_level() -> None:
    b = book((A, B, 100, 5, 1), (A, B, 100, 3, 2), (A, B, 99, 1, 3))
    bids, asks = b.depth(5)
    assert bids.tolist() == [[100, 8], [99, 1]]
    assert asks.shape == (0, 2)
    assert b.level_counts(5)[0].tolist() == [2, 1]


def test_depth_returns_at_most_n_levels_best_first() -> None:
    b = book(*[(A, S, 100 + i, 1, i + 1) for i in range(10)])
    _, asks = b.depth(3)
    assert asks[:, 0].tolist() == [100, 101, 102]


def test_partial_cancel_reduces_the_order_and_keeps_its_queue_place() -> None:
    b = book((A, B, 100, 5, 1), (A, B, 100, 3, 2), (C, B, 100, 2, 1))
    assert b.order(1).size_raw == 3
    assert b.order(1).queue_position == 0
    assert b.volume_ahead(2) == 3
    assert b.best_bid() == (100, 6)


def test_full_cancel_removes_the_order_and_its_empty_level() -> None:
    b = book((A, B, 100, 5, 1), (A, B, 99, 3, 2), (C, B, 100, 5, 1))
    assert b.order(1) is None
    assert b.best_bid() == (99, 3)
    assert b.n_orders == 1


def test_size_decrease_keeps_queue_priority() -> None:
    b = book((A, B, 100, 5, 1), (A, B, 100, 3, 2), (M, B, 100, 4, 1))
    assert b.order(1).queue_position == 0
    assert b.order(2).volume_ahead == 4


def test_modify_with_unchanged_price_and_size_keeps_queue_priority() -> None:
    b = book((A, B, 100, 5, 1), (A, B, 100, 3, 2), (M, B, 100, 5, 1))
    assert b.order(1).queue_position == 0


def test_size_increase_loses_queue_priority() -> None:
    b = book((A, B, 100, 5, 1), (A, B, 100, 3, 2), (M, B, 100, 6, 1))
    assert b.order(1).queue_position == 1
    assert b.order(1).volume_ahead == 3
    assert b.order(2).queue_position == 0
    assert b.best_bid() == (100, 9)


def test_price_change_moves_the_order_to_the_back_of_the_new_level() -> None:
    b = book((A, S, 101, 5, 1), (A, S, 102, 3, 2), (M, S, 102, 5, 1))
    assert b.best_ask() == (102, 8)
    assert b.order(1).queue_position == 1
    assert b.order(1).price_raw == 102
    assert b.n_levels(S) == 1


def test_modify_to_zero_size_removes_the_order() -> None:
    b = book((A, S, 101, 5, 1), (M, S, 101, 0, 1))
    assert b.n_orders == 0
    assert b.best_ask() is None


def test_clear_empties_the_book_and_it_refills_afterwards() -> None:
    b = book((A, B, 100, 5, 1), (A, S, 101, 5, 2), (R, N, 0, 0, 0), (A, B, 98, 1, 1))
    assert b.n_orders == 1
    assert b.best_bid() == (98, 1)
    assert b.best_ask() is None


def test_trades_and_fills_do_not_change_the_book() -> None:
    b = book((A, B, 100, 5, 1), (T, S, 100, 2, 0), (F, B, 100, 2, 1))
    assert b.best_bid() == (100, 5)
    assert b.order(1).size_raw == 5
    assert b.issues.total == 0


def test_clear_method_removes_every_order() -> None:
    b = book((A, B, 100, 5, 1), (A, S, 101, 5, 2))
    b.clear()
    assert b.n_orders == 0 and b.best_bid() is None and b.best_ask() is None
    b.apply(d((A, B, 100, 5, 1)))
    assert b.n_orders == 1


def test_records_of_other_instruments_and_kinds_are_skipped() -> None:
    other = book_deltas(IID + 1, [A], [B], [100], [5], [1])
    quote_like = d((A, B, 100, 5, 2))
    quote_like["kind"] = 20
    b = book()
    b.apply(np.concatenate([other, quote_like]))
    assert b.n_orders == 0


def test_locked_and_crossed_books_are_reported_after_last_records_only() -> None:
    batch = d((A, B, 100, 5, 1), (A, S, 100, 5, 2), (A, S, 99, 1, 3))
    batch["flags"][1] &= ~np.uint16(2)  # the lock at index 1 is mid-event
    b = L3Book(IID)
    assert b.apply_checked(batch).tolist() == [2]
    assert b.is_crossed()


def test_unknown_cancel_and_missing_modify_are_counted_with_their_index() -> None:
    b = book((A, B, 100, 5, 1), (C, B, 100, 1, 99), (M, B, 100, 1, 98))
    issues = b.issues
    assert issues.counts == {BookIssue.CANCEL_UNKNOWN_ORDER: 1, BookIssue.MODIFY_MISSING_ORDER: 1}
    assert [(i.issue, i.index, i.order_id) for i in issues.first] == [
        (BookIssue.CANCEL_UNKNOWN_ORDER, 1, 99), (BookIssue.MODIFY_MISSING_ORDER, 2, 98)]
    assert b.best_bid() == (100, 5)


def test_oversized_cancel_is_counted_and_removes_the_order() -> None:
    b = book((A, B, 100, 5, 1), (C, B, 100, 7, 1))
    assert b.issues.counts == {BookIssue.CANCEL_EXCEEDS_SIZE: 1}
    assert b.issues.first[0].value == 7
    assert b.n_orders == 0


@pytest.mark.parametrize(
    ("row", "issue"),
    [((A, B, 100, 0, 5), BookIssue.BAD_SIZE), ((A, N, 100, 1, 5), BookIssue.BAD_SIDE),
     ((A, B, 100, 1, 1), BookIssue.DUPLICATE_ADD), ((9, B, 100, 1, 5), BookIssue.BAD_ACTION)],
)
def test_bad_adds_and_actions_are_counted_and_ignored(row: tuple, issue: BookIssue) -> None:
    b = book((A, B, 100, 5, 1), row)
    assert b.issues.counts == {issue: 1}
    assert b.n_orders == 1 and b.best_bid() == (100, 5)


def test_an_l2_delta_in_an_l3_book_is_a_wrong_level_issue() -> None:
    b = book()
    b.apply(d((A, B, 100, 5, 0), level=BookLevel.L2))
    assert b.issues.counts == {BookIssue.WRONG_LEVEL: 1}


def test_fail_fast_raises_naming_the_index_order_and_value_without_applying() -> None:
    b = book((A, B, 100, 5, 1), fail_fast=True)
    with pytest.raises(BookIntegrityError, match=r"CANCEL_EXCEEDS_SIZE at record index 1 .*"
                       r"order_id=1, value=9"):
        b.apply(d((C, B, 100, 9, 1)))
    assert b.order(1).size_raw == 5


def test_issue_log_keeps_the_first_sixteen_and_counts_all() -> None:
    b = book(*[(C, B, 100, 1, 1000 + i) for i in range(40)])
    assert b.issues.total == 40
    assert len(b.issues.first) == 16
    assert b.issues.first[-1].order_id == 1015


def test_storage_grows_instead_of_dropping_orders_or_levels() -> None:
    rows = [(A, B if i % 2 else S, 1000 + i, 1, i + 1) for i in range(3000)]
    b = book(*rows, order_capacity=2, level_capacity=1)
    assert b.n_orders == 3000
    assert b.n_levels(B) + b.n_levels(S) == 3000
    for i in range(0, 3000, 7):
        assert b.order(i + 1) is not None


def test_order_ids_use_the_full_unsigned_range() -> None:
    big = 2**64 - 5
    b = book((A, B, 100, 5, big))
    assert b.order(big).size_raw == 5
    assert b.orders()["order_id"].tolist() == [big]


def test_snapshot_restore_keeps_queue_order_and_issue_counts() -> None:
    b = book((A, B, 100, 5, 1), (A, B, 100, 3, 2), (M, B, 100, 9, 1), (A, S, 105, 2, 3),
             (C, S, 105, 1, 77))
    r = L3Book.restore(b.snapshot())
    assert r.order(1) == b.order(1) and r.order(2) == b.order(2)
    assert r.issues == b.issues
    more = d((C, B, 100, 3, 2), (A, S, 104, 1, 4))
    b.apply(more)
    r.apply(more)
    for key, col in b.snapshot().items():
        assert np.array_equal(col, r.snapshot()[key]), key


def test_to_l2_aggregates_levels_with_order_counts() -> None:
    b = book((A, B, 100, 5, 1), (A, B, 100, 3, 2), (A, S, 102, 1, 3))
    l2 = b.to_l2()
    assert l2.best_bid() == (100, 8) and l2.best_ask() == (102, 1)
    assert l2.level_counts(1)[0].tolist() == [2]


def test_a_batch_dtype_other_than_records_is_refused() -> None:
    with pytest.raises(TypeError, match="batch dtype"):
        L3Book(IID).apply(np.zeros(3, np.int64))


def test_order_capacity_must_be_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="order_capacity must be a power of two, got 1000"):
        L3Book(IID, order_capacity=1000)
