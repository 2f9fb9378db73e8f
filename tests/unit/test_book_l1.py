"""L1 book: the last quote of the instrument is the top of book."""

from __future__ import annotations

import numpy as np

from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
from domain.schema import NULL_I64
from engines.book import L1Book


def quotes(rows: list[tuple[int, int, int, int, int]]) -> np.ndarray:
    """Rows of (instrument_id, bid, ask, bid_size, ask_size)."""
    out = np.zeros(len(rows), RECORD_DTYPE)
    q = out.view(KIND_DTYPES[Kind.QUOTE])
    q["kind"] = Kind.QUOTE
    cols = list(zip(*rows, strict=True))
    q["instrument_id"], q["bid"], q["ask"], q["bid_size"], q["ask_size"] = cols
    return out


def test_the_last_quote_of_the_instrument_wins() -> None:
    b = L1Book(1)
    b.apply(quotes([(1, 100, 102, 5, 6), (1, 101, 103, 7, 8), (2, 1, 2, 3, 4)]))
    assert b.best_bid() == (101, 7) and b.best_ask() == (103, 8)


def test_an_empty_book_has_no_top_and_is_not_crossed() -> None:
    b = L1Book(1)
    assert b.best_bid() is None and b.best_ask() is None and not b.is_crossed()


def test_a_null_price_empties_that_side() -> None:
    b = L1Book(1)
    b.apply(quotes([(1, NULL_I64, 102, 0, 6)]))
    assert b.best_bid() is None and b.best_ask() == (102, 6)


def test_crossed_quotes_are_reported_by_index() -> None:
    b = L1Book(1)
    assert b.apply_checked(quotes([(1, 100, 101, 1, 1), (1, 101, 101, 1, 1), (2, 9, 1, 1, 1)])
                           ).tolist() == [1]
    assert b.is_crossed()


def test_snapshot_restore_and_clear() -> None:
    b = L1Book(1)
    b.apply(quotes([(1, 100, 102, 5, 6)]))
    r = L1Book.restore(b.snapshot())
    assert r.best_bid() == (100, 5)
    r.clear()
    assert r.best_ask() is None
