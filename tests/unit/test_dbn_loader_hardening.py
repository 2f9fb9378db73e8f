"""Issue 18 "Bad input" for DBN: action N is a no-op record, a fill of an unknown order is a
book issue, a plain file's record count is checked against its metadata's limit."""

from __future__ import annotations

from pathlib import Path

import databento_dbn as dbn
import pytest

from domain.enums import BookAction
from domain.kinds import KIND_DTYPES, Kind
from engines.book import BookIssue, L3Book
from replay.loaders import DbnFormatError, load_dbn
from tests.unit.test_dbn_loader import mbo, write_dbn

DELTA = KIND_DTYPES[Kind.BOOK_DELTA]
E9 = 1_000_000_000


def test_dbn_action_n_is_a_no_op_record_not_a_refusal(tmp_path: Path) -> None:
    path = write_dbn(tmp_path / "n.dbn", dbn.Schema.MBO, [
        mbo(1, 100 * E9, 5), mbo(0, dbn.UNDEF_PRICE, 0, dbn.Action.NONE, dbn.Side.NONE),
        mbo(2, 101 * E9, 3, side=dbn.Side.ASK)])
    records = load_dbn(path, 7)
    v = records.view(DELTA)
    assert v["action"].tolist() == [BookAction.ADD, BookAction.NONE, BookAction.ADD]
    book = L3Book(7)
    book.apply(records)
    assert book.issues.counts == {} and book.n_orders == 2
    assert book.best_bid() == (100, 5) and book.best_ask() == (101, 3)


def test_a_dbn_fill_for_an_unknown_order_id_is_counted_as_a_book_issue(tmp_path: Path) -> None:
    path = write_dbn(tmp_path / "f.dbn", dbn.Schema.MBO, [
        mbo(1, 100 * E9, 5), mbo(1, 100 * E9, 2, dbn.Action.FILL),
        mbo(99, 100 * E9, 2, dbn.Action.FILL),
        mbo(98, 100 * E9, 2, dbn.Action.FILL, dbn.Side.NONE)])  # side-less: an auction fill
    book = L3Book(7)
    book.apply(load_dbn(path, 7))
    assert book.issues.counts == {BookIssue.FILL_UNKNOWN_ORDER: 1}
    assert [(i.issue, i.index, i.order_id) for i in book.issues.first] == [
        (BookIssue.FILL_UNKNOWN_ORDER, 2, 99)]
    assert book.best_bid() == (100, 5)  # a fill report never changes the book


def test_a_plain_dbn_file_with_more_records_than_its_metadata_limit_is_refused(
        tmp_path: Path) -> None:
    meta = dbn.Metadata(dataset="GLBX.MDP3", schema=dbn.Schema.MBO, start=1,
                        stype_in=dbn.SType.RAW_SYMBOL, stype_out=dbn.SType.INSTRUMENT_ID,
                        end=10**18, symbols=["TEST"], partial=[], not_found=[], mappings=[],
                        limit=2)
    path = tmp_path / "limit.dbn"
    path.write_bytes(meta.encode() + b"".join(bytes(mbo(i, 100 * E9, 1)) for i in range(1, 4)))
    with pytest.raises(DbnFormatError, match=r"record 2: .*limit of 2 records"):
        load_dbn(path, 7)
    path.write_bytes(meta.encode() + b"".join(bytes(mbo(i, 100 * E9, 1)) for i in range(1, 3)))
    assert len(load_dbn(path, 7)) == 2


def test_a_zstd_file_cut_inside_its_last_frame_is_truncated_not_shorter(
        shared_data: Path, tmp_path: Path) -> None:
    data = (shared_data / "esh4-glbx-mdp3-20231225.mbo.dbn.zst").read_bytes()
    cut = tmp_path / "cut.mbo.dbn.zst"
    cut.write_bytes(data[:-3])  # the frame's checksum is cut: every record still decodes
    with pytest.raises(DbnFormatError, match=r"record 68792: truncated file: the zstd data"):
        load_dbn(cut, 7, price_precision=2)
