"""The generic CSV formats: timestamps, exact decimals, optional columns, gzip, precision."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from domain.codec import as_kind
from domain.enums import AggressorSide, BarAggregation, PriceType
from domain.kinds import Kind
from replay.loaders.bars_csv import BarSpec, iter_bars_csv
from replay.loaders.csv_common import decimal_to_raw, infer_precision, load_all
from replay.loaders.quotes_csv import iter_quotes_csv
from replay.loaders.trades_csv import iter_trades_csv

T0 = np.datetime64("2024-03-01T12:00:00", "ns").view(np.int64)


def _quotes(tmp_path, text, name="q.csv", **kw):
    path = tmp_path / name
    path.write_text(text)
    return as_kind(load_all(iter_quotes_csv(path, 2, **kw)), Kind.QUOTE)


@pytest.mark.parametrize("stamp,expected_ns", [
    (str(T0), T0),
    ("2024-03-01 12:00:00", T0),
    ("2024-03-01T12:00:00Z", T0),
    ("2024-03-01T12:00:00.123456789", T0 + 123_456_789),
    ("2024-03-01 13:30:00+01:30", T0),
    ("2024-03-01T07:00:00.5-05:00", T0 + 500_000_000),
    ("2024-03-01", T0 - 12 * 3600 * 10**9),
])
def test_timestamps_are_int_ns_or_iso_8601_with_utc_by_default(tmp_path, stamp, expected_ns):
    q = _quotes(tmp_path, f"timestamp,bid,ask\n{stamp},1,2\n")
    assert q["ts_event"][0] == q["ts_init"][0] == expected_ns


def test_a_ts_init_column_is_kept_apart_from_ts_event(tmp_path):
    q = _quotes(tmp_path, "ts_event,ts_init,bid,ask\n100,150,1,2\n200,250,1,2\n")
    assert q["ts_event"].tolist() == [100, 200] and q["ts_init"].tolist() == [150, 250]


def test_sizes_default_to_one_million_and_are_configurable(tmp_path):
    q = _quotes(tmp_path, "timestamp,bid,ask\n1,1.5,1.6\n")
    assert (q["bid_size"][0], q["ask_size"][0], q["size_precision"][0]) == (1_000_000,) * 2 + (0,)
    q = _quotes(tmp_path, "timestamp,bid,ask\n1,1.5,1.6\n", default_size="0.25")
    assert (q["bid_size"][0], q["size_precision"][0]) == (25, 2)


def test_sizes_in_the_file_are_parsed_exactly_with_their_own_precision(tmp_path):
    q = _quotes(tmp_path, "timestamp,bid,ask,bid_size,ask_size\n1,0.1,0.3,0.123,7\n")
    assert (q["bid"][0], q["ask"][0], q["price_precision"][0]) == (1, 3, 1)
    assert (q["bid_size"][0], q["ask_size"][0], q["size_precision"][0]) == (123, 7000, 3)


def test_gzip_files_are_read_transparently(tmp_path):
    path = tmp_path / "q.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write("timestamp,bid,ask\n1,1.25,1.5\n2,1.5,1.75\n")
    q = as_kind(load_all(iter_quotes_csv(path, 2)), Kind.QUOTE)
    assert q["bid"].tolist() == [125, 150] and q["price_precision"][0] == 2


@pytest.mark.parametrize("text,precision,raw", [
    ("1.10", 2, 110), ("1.1000", 1, 11), ("-0.5", 1, -5), ("+3", 0, 3), (".5", 1, 5),
    ("7.", 0, 7), ("0.000000001", 9, 1), ("92233720368547.75807", 5, 2**63 - 1),
])
def test_decimals_convert_to_raw_ints_exactly(tmp_path, text, precision, raw):
    assert decimal_to_raw(text, precision) == raw
    if raw < 0:  # quotes refuse negative prices; the conversion itself is signed
        return
    q = _quotes(tmp_path, f"timestamp,bid,ask\n1,{text},{text}\n",
                price_precision=precision, allow_crossed=True)
    assert q["bid"][0] == raw


def test_inferred_precision_ignores_trailing_zeros_and_can_scan_a_prefix(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("timestamp,bid,ask\n1,1.100000,1.2\n2,1.1,1.25\n3,1.125,1.2\n")
    assert infer_precision(path) == 3
    assert infer_precision(path, max_rows=1) == 1
    assert infer_precision(path, max_rows=2) == 2


def test_blank_lines_are_skipped_and_later_lines_keep_their_numbers(tmp_path):
    q = _quotes(tmp_path, "timestamp,bid,ask\n1,1,2\n\n2,1,2\n")
    assert len(q) == 2


def test_trades_read_sides_and_trade_ids(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("timestamp,price,size,side,trade_id\n1,10.5,0.01,BUY,17\n"
                    "2,10.25,1,s,abc-uuid\n3,10,2,,18\n")
    t = as_kind(load_all(iter_trades_csv(path, 4)), Kind.TRADE)
    assert t["price"].tolist() == [1050, 1025, 1000] and t["size"].tolist() == [1, 100, 200]
    assert t["aggressor_side"].tolist() == [AggressorSide.BUYER, AggressorSide.SELLER,
                                            AggressorSide.NO_AGGRESSOR]
    assert t["trade_id"][0] == 17 and t["trade_id"][2] == 18
    t2 = as_kind(load_all(iter_trades_csv(path, 4)), Kind.TRADE)
    assert t["trade_id"][1] == t2["trade_id"][1] not in (0, 17, 18)  # hashed, stable


def test_close_labelled_bars_get_their_open_from_the_spec(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("timestamp,open,high,low,close,volume\n300000000000,1,2,0.5,1.5,10\n")
    spec = BarSpec.parse("5-minute-mid")
    assert (spec.step, spec.aggregation, spec.price_type) == (5, BarAggregation.MINUTE,
                                                              PriceType.MID)
    b = as_kind(load_all(iter_bars_csv(path, 1, spec=spec, timestamp_is="close")), Kind.BAR)
    assert (b["ts_event"][0], b["ts_open"][0], b["volume"][0]) == (300 * 10**9, 0, 10)
    assert (b["step"][0], b["aggregation"][0]) == (5, BarAggregation.MINUTE)


@pytest.mark.parametrize("text", ["1", "MINUTE", "1-FORTNIGHT", "x-MINUTE", "0-MINUTE"])
def test_a_bad_bar_spec_is_refused_with_the_expected_shape(text):
    with pytest.raises(ValueError, match="bar spec|step"):
        BarSpec.parse(text)
