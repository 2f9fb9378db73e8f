"""L3 cancels between ringbus (CANCEL removes a size) and NautilusTrader (DELETE removes the
order): a partial cancel is exported as an UPDATE to what is left, a DELETE imported as a cancel
of the whole resting size, and the book after the round trip is the book before it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from domain.codec import as_kind
from domain.enums import BookAction, BookLevel, OrderSide, RecordFlag
from domain.instruments import Instrument
from domain.kinds import Kind
from engines.book.l3 import L3Book
from replay.catalog_ingest import ingest_sources
from replay.catalog_source import iter_catalog_records
from replay.data_source import DataSource
from replay.parquet_export import export_parquet
from replay.parquet_import import nautilus_sources
from replay.parquet_orders import OrderSizes
from replay.testing.streams import record

A, M, C, X = BookAction.ADD, BookAction.MODIFY, BookAction.CANCEL, BookAction.CLEAR


def _arrays(rows: list[tuple[int, int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    action, oid, size = (np.array(col, np.int64) for col in zip(*rows, strict=True))
    return action.astype(np.uint8), oid.astype(np.uint64), size


def test_partial_cancels_become_updates_to_the_size_left_and_full_ones_deletes() -> None:
    rows = [(A, 1, 10), (A, 2, 5), (C, 1, 3), (M, 2, 8), (C, 1, 7), (C, 9, 4), (X, 0, 0),
            (C, 2, 8)]
    update, size = OrderSizes().to_nautilus(*_arrays(rows))
    assert update.tolist() == [False, False, True, False, False, False, False, False]
    assert size.tolist() == [10, 5, 7, 8, 7, 4, 0, 8]


def test_a_delete_cancels_the_whole_resting_size_whatever_size_it_carries() -> None:
    rows = [(A, 1, 10), (M, 1, 6), (C, 1, 0), (A, 2, 5), (C, 2, 5), (C, 3, 2)]
    assert OrderSizes().from_nautilus(*_arrays(rows)).tolist() == [10, 6, 6, 5, 5, 2]


def _delta(ts: int, action: int, oid: int, price: int, size: int, side: int = OrderSide.BUY
           ) -> np.ndarray:
    return record(Kind.BOOK_DELTA, ts, RecordFlag.INPUT | RecordFlag.LAST, action=action,
                  side=side, level=BookLevel.L3, price=price, size=size, order_id=oid,
                  price_precision=2, size_precision=0)


def test_an_l3_stream_with_partial_cancels_round_trips_to_the_same_book(tmp_path: Path) -> None:
    deltas = np.concatenate([
        _delta(1, A, 11, 10_000, 10), _delta(2, A, 12, 10_025, 4, OrderSide.SELL),
        _delta(3, A, 13, 10_000, 6), _delta(4, C, 11, 10_000, 3), _delta(5, M, 13, 9_975, 6),
        _delta(6, C, 12, 10_025, 4, OrderSide.SELL), _delta(7, C, 11, 10_000, 2)])
    source = DataSource.from_records(Instrument.future("ESH4.GLBX", price_precision=2),
                                     [deltas], BookLevel.L3)
    ingest_sources([("made", source)], tmp_path / "catalog")
    export_parquet(tmp_path / "catalog", tmp_path / "nautilus")
    file = next((tmp_path / "nautilus" / "data" / "order_book_delta" / "ESH4.GLBX").iterdir())
    written = pq.read_table(file).to_pydict()
    assert written["action"] == [1, 1, 1, 2, 2, 3, 2]  # ADD ADD ADD UPDATE UPDATE DELETE UPDATE
    assert [v // 10 ** 16 for v in (int.from_bytes(b, "little") for b in written["size"])] \
        == [10, 4, 6, 7, 6, 4, 5]
    (back,) = nautilus_sources(tmp_path / "nautilus")
    assert back.book_level == BookLevel.L3
    again = np.concatenate(list(back.chunks(0)))
    assert as_kind(again, Kind.BOOK_DELTA)["action"].tolist() == [A, A, A, M, M, C, M]
    before, after = L3Book(0, fail_fast=True), L3Book(0, fail_fast=True)
    before.apply(np.concatenate(list(iter_catalog_records(tmp_path / "catalog" / "ESH4.GLBX"))))
    after.apply(again)
    assert before.issues.total == after.issues.total == 0
    for key, column in before.orders().items():
        assert np.array_equal(column, after.orders()[key]), key
    assert before.orders()["size"].tolist() == [5, 6]  # order 11 keeps 5 of 10, 13 moved
