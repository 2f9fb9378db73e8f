"""Tardis incremental_book_L2: the real Deribit snapshot, and updates, groups and chunking."""

from __future__ import annotations

import numpy as np

from domain.codec import as_kind
from domain.enums import BookAction, BookLevel, OrderSide, RecordFlag
from domain.kinds import Kind
from engines.book.l2 import L2Book
from replay.loaders.csv_common import load_all
from replay.loaders.detect import detect_format
from replay.loaders.tardis import iter_tardis_book_l2

DERIBIT = "deribit_incremental_book_L2_BTC-PERPETUAL.csv"
HEADER = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n"


def _rows(*rows: str) -> str:
    return HEADER + "".join(f"deribit,BTC-PERPETUAL,{r}\n" for r in rows)


def test_the_deribit_file_is_a_clear_then_15_snapshot_adds_with_last_on_the_last(shared_data):
    path = shared_data / DERIBIT
    fmt = detect_format(path)
    assert fmt.name == "tardis_book"
    d = as_kind(load_all(fmt.loader(path, 4)), Kind.BOOK_DELTA)
    assert len(d) == 16
    assert d["action"][0] == BookAction.CLEAR and d["side"][0] == OrderSide.NO_SIDE
    assert (d["action"][1:] == BookAction.ADD).all() and (d["side"][1:] == OrderSide.SELL).all()
    assert (d["flags"] & RecordFlag.SNAPSHOT).all() and (d["flags"] & RecordFlag.INPUT).all()
    assert np.flatnonzero(d["flags"] & RecordFlag.LAST).tolist() == [15]
    assert (d["ts_event"] == 1585699200245000000).all()  # timestamp, µs -> ns
    assert (d["ts_init"] == 1585699200355684000).all()  # local_timestamp
    assert (d["price_precision"] == 1).all() and (d["size_precision"] == 0).all()
    assert (d["price"][1], d["size"][1]) == (64215, 18640)  # 6421.5 x 18640
    assert (d["price"][-1], d["size"][-1]) == (64285, 39950)  # 6428.5 x 39950
    assert (d["level"] == BookLevel.L2).all() and (d["instrument_id"] == 4).all()
    book = L2Book(4, fail_fast=True)
    book.apply(load_all(fmt.loader(path, 4)))
    assert book.best_ask() == (64215, 18640)


def test_updates_are_modifies_and_amount_zero_removes_the_level(tmp_path):
    path = tmp_path / "book.csv"
    path.write_text(_rows("10,11,true,bid,100.5,3", "10,11,true,ask,101,4",
                          "20,21,false,bid,100.5,0", "20,21,false,bid,100,7",
                          "30,31,false,ask,101,2"))
    records = load_all(iter_tardis_book_l2(path, 1))
    d = as_kind(records, Kind.BOOK_DELTA)
    assert d["action"].tolist() == [BookAction.CLEAR, BookAction.ADD, BookAction.ADD,
                                    BookAction.MODIFY, BookAction.MODIFY, BookAction.MODIFY]
    assert np.flatnonzero(d["flags"] & RecordFlag.SNAPSHOT).tolist() == [0, 1, 2]
    assert np.flatnonzero(d["flags"] & RecordFlag.LAST).tolist() == [2, 4, 5]
    assert d["ts_init"].tolist() == [11_000, 11_000, 11_000, 21_000, 21_000, 31_000]
    book = L2Book(1, fail_fast=True)
    book.apply(records)
    assert book.best_bid() == (1000, 7) and book.best_ask() == (1010, 2)


def test_a_second_snapshot_clears_the_book_again(tmp_path):
    path = tmp_path / "book.csv"
    path.write_text(_rows("10,11,true,bid,100,3", "20,21,false,bid,99,1",
                          "30,31,true,bid,98,5"))
    d = as_kind(load_all(iter_tardis_book_l2(path, 1)), Kind.BOOK_DELTA)
    assert d["action"].tolist() == [BookAction.CLEAR, BookAction.ADD, BookAction.MODIFY,
                                    BookAction.CLEAR, BookAction.ADD]
    assert np.flatnonzero(d["flags"] & RecordFlag.LAST).tolist() == [1, 2, 4]


def test_chunking_gives_the_same_records_and_last_flags_across_chunk_edges(tmp_path):
    path = tmp_path / "book.csv"
    rows = [f"10,11,true,ask,{100 + i},{i + 1}" for i in range(5)]
    rows += [f"{20 + i // 3},{21 + i // 3},false,ask,{100 + i % 5},{i}" for i in range(12)]
    path.write_text(_rows(*rows))
    whole = load_all(iter_tardis_book_l2(path, 1))
    chunks = list(iter_tardis_book_l2(path, 1, chunk_size=2))
    assert max(len(c) for c in chunks) <= 2
    assert np.concatenate(chunks).tobytes() == whole.tobytes()
    last = np.flatnonzero(as_kind(whole, Kind.BOOK_DELTA)["flags"] & RecordFlag.LAST).tolist()
    assert last == [5, 8, 11, 14, 17]


def test_given_precisions_are_used_as_given(tmp_path):
    path = tmp_path / "book.csv"
    path.write_text(_rows("10,11,true,bid,100.5,3"))
    d = as_kind(load_all(iter_tardis_book_l2(path, 1, price_precision=2, size_precision=1)),
                Kind.BOOK_DELTA)
    assert (d["price"][1], d["size"][1]) == (10050, 30)
