"""The real ES MBO day (../shared/data) replayed through the L3 book, checked after every LAST.

Independent facts (../shared/data/README.md): 68,792 records by action; the book is crossed only
in the pre-open, 22:39-23:00 UTC (891 LAST records), and uncrosses at the 23:00 open.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from domain.enums import BookAction, RecordFlag
from domain.kinds import KIND_DTYPES, Kind
from engines.book import L3Book
from replay.loaders import iter_dbn, load_dbn

ES = "esh4-glbx-mdp3-20231225.mbo.dbn.zst"
PRE_OPEN_NS = 1703543940_000000000  # 2023-12-25 22:39:00 UTC
OPEN_NS = 1703545200_000000000  # 2023-12-25 23:00:00 UTC
IID = 17077


@pytest.fixture(scope="module")
def es(shared_data: Path) -> np.ndarray:
    return load_dbn(shared_data / ES, IID)


def test_record_counts_by_action(es: np.ndarray) -> None:
    actions = Counter(es.view(KIND_DTYPES[Kind.BOOK_DELTA])["action"].tolist())
    assert actions == {BookAction.ADD: 29_216, BookAction.CANCEL: 17_999,
                       BookAction.MODIFY: 12_233, BookAction.FILL: 6_371, BookAction.TRADE: 2_973}


def test_the_book_is_crossed_after_last_only_in_the_pre_open(es: np.ndarray) -> None:
    book = L3Book(IID)
    crossed = book.apply_checked(es)
    ts = es["ts_event"][crossed]
    assert len(crossed) == 891
    assert ts.min() >= PRE_OPEN_NS and ts.max() < OPEN_NS
    assert (es["flags"][crossed] & RecordFlag.LAST).all()
    assert book.issues.total == 0
    assert not book.is_crossed()


def test_the_replay_has_no_issues_and_ends_with_a_sane_book(es: np.ndarray) -> None:
    book = L3Book(IID, fail_fast=True)
    book.apply(es)
    bid, ask = book.best_bid(), book.best_ask()
    assert bid is not None and ask is not None and bid[0] < ask[0]
    assert (ask[0] - bid[0]) % 25 == 0  # a whole number of 0.25 ticks at precision 2
    assert book.n_orders == int(book.orders()["size"].size)
    bids, asks = book.depth(10_000)
    assert bids[:, 1].sum() + asks[:, 1].sum() == book.orders()["size"].sum()


def test_streamed_chunks_give_the_same_book_as_one_batch(shared_data: Path, es: np.ndarray) -> None:
    whole, streamed = L3Book(IID), L3Book(IID)
    whole.apply(es)
    n_crossed = 0
    for chunk in iter_dbn(shared_data / ES, IID, chunk_records=4_096):
        n_crossed += len(streamed.apply_checked(chunk))
    assert n_crossed == 891
    for key, col in whole.snapshot().items():
        assert np.array_equal(col, streamed.snapshot()[key]), key


def test_l3_to_l2_matches_the_per_order_sums_at_the_end(es: np.ndarray) -> None:
    book = L3Book(IID)
    book.apply(es)
    orders = book.orders()
    bids, asks = book.to_l2().depth(10_000)
    for side, levels in ((1, bids), (2, asks)):
        mask = orders["side"] == side
        prices, inverse = np.unique(orders["price"][mask], return_inverse=True)
        sizes = np.bincount(inverse, weights=orders["size"][mask]).astype(np.int64)
        assert sorted(zip(prices.tolist(), sizes.tolist(), strict=True)) == sorted(
            map(tuple, levels.tolist()))
