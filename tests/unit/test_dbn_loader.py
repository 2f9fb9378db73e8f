"""DBN loader: the real ES MBO file, files written with databento-dbn's own encoder, bad input."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import databento_dbn as dbn
import numpy as np
import pytest

from domain.enums import AggressorSide, BarAggregation, BookAction, BookLevel, OrderSide, RecordFlag
from domain.kinds import KIND_DTYPES, Kind
from domain.schema import NULL_I64
from replay.loaders import (
    DbnDataError,
    DbnFormatError,
    iter_dbn,
    load_dbn,
    read_dbn_metadata,
    scan_price_precision,
)

ES = "esh4-glbx-mdp3-20231225.mbo.dbn.zst"
DELTA = KIND_DTYPES[Kind.BOOK_DELTA]
E9 = 1_000_000_000


def write_dbn(path: Path, schema: dbn.Schema, records: list) -> Path:
    meta = dbn.Metadata(dataset="GLBX.MDP3", schema=schema, start=1, stype_in=dbn.SType.RAW_SYMBOL,
                        stype_out=dbn.SType.INSTRUMENT_ID, end=10**18, symbols=["TEST"],
                        partial=[], not_found=[], mappings=[])
    path.write_bytes(meta.encode() + b"".join(bytes(r) for r in records))
    return path


def mbo(order_id: int, price: int, size: int, action: dbn.Action = dbn.Action.ADD,
        side: dbn.Side = dbn.Side.BID, flags: int = 0x80, ts: int = 10) -> dbn.MBOMsg:
    return dbn.MBOMsg(publisher_id=1, instrument_id=5, ts_event=ts, order_id=order_id, price=price,
                      size=size, flags=flags, channel_id=0, action=action, side=side,
                      ts_recv=ts + 1, ts_in_delta=0, sequence=order_id)


def mbp_fields(action: dbn.Action, price: int) -> dict:
    return dict(publisher_id=1, instrument_id=5, ts_event=20, price=price, size=3, action=action,
                side=dbn.Side.ASK, flags=0x80, depth=0, ts_recv=21, ts_in_delta=0, sequence=9)


LEVEL = dbn.BidAskPair(bid_px=100 * E9, ask_px=101 * E9, bid_sz=4, ask_sz=6, bid_ct=1, ask_ct=1)


def test_the_es_mbo_file_loads_with_exact_counts(shared_data: Path) -> None:
    records = load_dbn(shared_data / ES, instrument_id=42)
    v = records.view(DELTA)
    assert len(v) == 68_792
    assert (v["kind"] == Kind.BOOK_DELTA).all() and (v["instrument_id"] == 42).all()
    assert (v["level"] == BookLevel.L3).all() and (v["seq"] == 0).all()
    assert Counter(v["action"].tolist()) == {BookAction.ADD: 29_216, BookAction.CANCEL: 17_999,
                                             BookAction.MODIFY: 12_233, BookAction.FILL: 6_371,
                                             BookAction.TRADE: 2_973}
    assert (v["price_precision"] == 2).all() and (v["price"][v["price"] > 0] % 25 == 0).all()
    assert (v["flags"] & RecordFlag.INPUT).all()
    assert np.array_equal((v["flags"] & RecordFlag.LAST) > 0, (v["venue_flags"] & 0x80) > 0)
    assert np.array_equal((v["flags"] & RecordFlag.SNAPSHOT) > 0, (v["venue_flags"] & 0x20) > 0)
    first = v[0]
    assert (first["ts_event"], first["ts_init"]) == (1703422805243925307, 1703462400000000000)
    assert (first["price"], first["size"], first["side"]) == (479900, 2, OrderSide.BUY)
    assert first["venue_sequence"] == 682 and first["order_id"] == 6412777162812


def test_es_metadata_names_symbol_instrument_and_range(shared_data: Path) -> None:
    meta = read_dbn_metadata(shared_data / ES)
    assert (meta.schema, meta.dataset, meta.version) == ("mbo", "GLBX.MDP3", 3)
    assert meta.symbols == ("ESH4",) and meta.instrument_ids == (("ESH4", 17077),)
    assert (meta.start_ns, meta.end_ns) == (1703462400000000000, 1703548800000000000)


def test_streaming_yields_bounded_chunks_equal_to_the_whole(shared_data: Path) -> None:
    chunks = list(iter_dbn(shared_data / ES, 42, chunk_records=10_000))
    assert max(len(c) for c in chunks) <= 10_000
    assert np.array_equal(np.concatenate(chunks), load_dbn(shared_data / ES, 42))


def test_a_truncated_compressed_file_fails_naming_file_and_record(shared_data: Path,
                                                                  tmp_path: Path) -> None:
    data = (shared_data / ES).read_bytes()
    cut = tmp_path / "cut.mbo.dbn.zst"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(DbnFormatError, match=r"cut\.mbo\.dbn\.zst: record \d+: truncated"):
        for _ in iter_dbn(cut, 1):
            pass


def test_a_corrupt_compressed_file_fails(shared_data: Path, tmp_path: Path) -> None:
    data = bytearray((shared_data / ES).read_bytes())
    data[5000:5016] = b"\xff" * 16
    bad = tmp_path / "bad.dbn.zst"
    bad.write_bytes(bytes(data))
    with pytest.raises(DbnFormatError, match="bad.dbn.zst: record .*corrupt"):
        load_dbn(bad, 1, price_precision=2)


def test_a_truncated_plain_file_fails(tmp_path: Path) -> None:
    path = write_dbn(tmp_path / "x.dbn", dbn.Schema.MBO, [mbo(1, 100 * E9, 1), mbo(2, 100 * E9, 1)])
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DbnFormatError, match="record 1: truncated"):
        load_dbn(path, 1, price_precision=0)


def test_price_precision_is_the_fewest_decimals_that_are_exact(tmp_path: Path) -> None:
    path = write_dbn(tmp_path / "p.dbn", dbn.Schema.MBO,
                     [mbo(1, 100 * E9, 1), mbo(2, 1005 * E9 // 10, 1), mbo(3, 99_250_000_000, 1)])
    assert scan_price_precision(path) == 2
    assert load_dbn(path, 1).view(DELTA)["price"].tolist() == [10000, 10050, 9925]


def test_a_price_finer_than_the_given_precision_is_an_error(tmp_path: Path) -> None:
    path = write_dbn(tmp_path / "p.dbn", dbn.Schema.MBO, [mbo(1, 100 * E9, 1), mbo(2, 100_125 * E9 // 1000, 1)])
    with pytest.raises(DbnDataError, match=r"p\.dbn: record 1: field 'price' = 100125000000: not "
                       "representable with price_precision 2") as err:
        load_dbn(path, 1, price_precision=2)
    assert (err.value.index, err.value.field) == (1, "price")


def test_an_add_without_size_is_an_error(tmp_path: Path) -> None:
    path = write_dbn(tmp_path / "s.dbn", dbn.Schema.MBO, [mbo(1, 100 * E9, 1), mbo(2, 100 * E9, 0)])
    with pytest.raises(DbnDataError, match="record 1: field 'size' = 0: an ADD must"):
        load_dbn(path, 1)


def test_an_unknown_action_byte_is_an_error(tmp_path: Path) -> None:
    path = write_dbn(tmp_path / "a.dbn", dbn.Schema.MBO, [mbo(1, 100 * E9, 1), mbo(2, 100 * E9, 1)])
    raw = bytearray(path.read_bytes())
    raw[-56 + 38] = ord("Z")  # the action byte of the last MBO record
    path.write_bytes(bytes(raw))
    with pytest.raises(DbnDataError, match="record 1: field 'action' = 'Z': unknown MBO action"):
        load_dbn(path, 1, price_precision=0)


def test_mbo_clear_cancel_and_modify_map_to_book_actions(tmp_path: Path) -> None:
    recs = [mbo(1, 100 * E9, 5), mbo(1, 100 * E9, 2, dbn.Action.CANCEL),
            mbo(1, 101 * E9, 3, dbn.Action.MODIFY, dbn.Side.ASK),
            mbo(0, dbn.UNDEF_PRICE, 0, dbn.Action.CLEAR, dbn.Side.NONE, flags=0x08)]
    v = load_dbn(write_dbn(tmp_path / "m.dbn", dbn.Schema.MBO, recs), 1).view(DELTA)
    assert v["action"].tolist() == [BookAction.ADD, BookAction.CANCEL, BookAction.MODIFY,
                                    BookAction.CLEAR]
    assert v["side"].tolist() == [OrderSide.BUY, OrderSide.BUY, OrderSide.SELL, OrderSide.NO_SIDE]
    assert v["price"][3] == NULL_I64
    assert v["flags"][3] == RecordFlag.INPUT | RecordFlag.BAD_TS


def test_mbp1_becomes_quotes_with_a_trade_before_each_trade_record(tmp_path: Path) -> None:
    recs = [dbn.MBP1Msg(**mbp_fields(dbn.Action.ADD, 100 * E9), levels=LEVEL),
            dbn.MBP1Msg(**mbp_fields(dbn.Action.TRADE, 101 * E9), levels=LEVEL)]
    out = load_dbn(write_dbn(tmp_path / "q.dbn", dbn.Schema.MBP_1, recs), 9)
    assert out["kind"].tolist() == [Kind.QUOTE, Kind.TRADE, Kind.QUOTE]
    q = out.view(KIND_DTYPES[Kind.QUOTE])
    assert (q["bid"][0], q["ask"][0], q["bid_size"][0], q["ask_size"][0]) == (100, 101, 4, 6)
    t = out.view(KIND_DTYPES[Kind.TRADE])[1]
    assert (t["price"], t["size"], t["aggressor_side"]) == (101, 3, AggressorSide.SELLER)
    assert (out["ts_event"][0], out["ts_init"][0]) == (20, 21)


def test_mbp10_top_level_becomes_a_quote(tmp_path: Path) -> None:
    recs = [dbn.MBP10Msg(**mbp_fields(dbn.Action.ADD, 100 * E9), levels=[LEVEL] * 10)]
    out = load_dbn(write_dbn(tmp_path / "q10.dbn", dbn.Schema.MBP_10, recs), 9)
    q = out.view(KIND_DTYPES[Kind.QUOTE])
    assert out["kind"].tolist() == [Kind.QUOTE] and (q["bid"][0], q["ask"][0]) == (100, 101)


def test_trades_become_trade_records(tmp_path: Path) -> None:
    recs = [dbn.TradeMsg(**mbp_fields(dbn.Action.TRADE, 100 * E9 + 5 * E9 // 10))]
    t = load_dbn(write_dbn(tmp_path / "t.dbn", dbn.Schema.TRADES, recs), 9).view(
        KIND_DTYPES[Kind.TRADE])
    assert (t["kind"][0], t["price"][0], t["price_precision"][0], t["trade_id"][0]) == (
        Kind.TRADE, 1005, 1, 9)


def test_ohlcv_bars_are_stamped_at_their_close(tmp_path: Path) -> None:
    recs = [dbn.OHLCVMsg(rtype=dbn.RType.OHLCV_1M, publisher_id=1, instrument_id=5,
                         ts_event=60 * E9, open=10 * E9, high=12 * E9, low=9 * E9, close=11 * E9,
                         volume=500)]
    b = load_dbn(write_dbn(tmp_path / "b.dbn", dbn.Schema.OHLCV_1M, recs), 9).view(
        KIND_DTYPES[Kind.BAR])[0]
    assert (b["kind"], b["aggregation"], b["step"]) == (Kind.BAR, BarAggregation.MINUTE, 1)
    assert (b["open"], b["high"], b["low"], b["close"], b["volume"]) == (10, 12, 9, 11, 500)
    assert (b["ts_open"], b["ts_event"], b["ts_init"]) == (60 * E9, 120 * E9, 120 * E9)


def test_an_unsupported_schema_is_refused(tmp_path: Path) -> None:
    path = write_dbn(tmp_path / "st.dbn", dbn.Schema.STATISTICS, [])
    with pytest.raises(DbnFormatError, match="schema 'statistics' is not supported"):
        load_dbn(path, 1, price_precision=0)


def test_a_file_that_is_not_dbn_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.dbn"
    path.write_bytes(b"hello world, not a dbn file at all" * 10)
    with pytest.raises(DbnFormatError, match="junk.dbn: record 0"):
        load_dbn(path, 1, price_precision=0)


def test_streaming_without_a_precision_fails_on_a_later_finer_price(tmp_path: Path) -> None:
    recs = [mbo(1, 100 * E9, 1), mbo(2, 101 * E9, 1), mbo(3, 1015 * E9 // 10, 1)]
    path = write_dbn(tmp_path / "late.dbn", dbn.Schema.MBO, recs)
    with pytest.raises(DbnDataError, match="record 2: field 'price' .* price_precision 0"):
        list(iter_dbn(path, 1, chunk_records=2))
    assert load_dbn(path, 1).view(DELTA)["price"].tolist() == [1000, 1010, 1015]


def test_a_precision_outside_0_to_9_is_refused(tmp_path: Path) -> None:
    path = write_dbn(tmp_path / "x.dbn", dbn.Schema.MBO, [mbo(1, 100 * E9, 1)])
    with pytest.raises(ValueError, match="price_precision must be in 0..9, got 12"):
        load_dbn(path, 1, price_precision=12)
