"""Bad CSV input is refused before its chunk is yielded, naming path, line, field and value."""

from __future__ import annotations

import pytest

from replay.loaders.bars_csv import iter_bars_csv
from replay.loaders.binance_depth import iter_binance_depth
from replay.loaders.csv_common import load_all
from replay.loaders.errors import DataError
from replay.loaders.histdata import iter_histdata_quotes
from replay.loaders.quotes_csv import iter_quotes_csv
from replay.loaders.trades_csv import iter_trades_csv

QUOTES = "timestamp,bid,ask,bid_size,ask_size\n"
GOOD_Q = "1000,1.10,1.20,5,6\n"


def _fail(tmp_path, text, loader=iter_quotes_csv, name="data.csv", **kw) -> DataError:
    path = tmp_path / name
    path.write_text(text)
    yielded = []
    with pytest.raises(DataError) as err:
        for chunk in loader(path, 1, **kw):
            yielded.append(chunk)
    assert str(path) in str(err.value)
    assert str(err.value).startswith(f"{path}:{err.value.line}: field {err.value.field!r}")
    return err.value


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "abc", "", "1e5", "1.2.3"])
def test_a_non_numeric_bid_is_refused_naming_its_line_and_value(tmp_path, value):
    err = _fail(tmp_path, QUOTES + GOOD_Q + f"2000,{value},1.20,5,6\n", price_precision=2)
    assert (err.line, err.field, err.value) == (3, "bid", value)


def test_nan_price_is_refused_even_when_precision_is_inferred(tmp_path):
    err = _fail(tmp_path, QUOTES + GOOD_Q + "2000,1.1,nan,5,6\n")
    assert (err.line, err.field, err.value) == (3, "ask", "nan")
    assert "NaN" in err.why


def test_a_negative_size_is_refused(tmp_path):
    err = _fail(tmp_path, QUOTES + GOOD_Q + "2000,1.10,1.20,-5,6\n")
    assert (err.line, err.field, err.value) == (3, "bid_size", "-5")


def test_a_price_with_more_decimals_than_the_precision_is_never_rounded(tmp_path):
    err = _fail(tmp_path, QUOTES + GOOD_Q + "2000,1.105,1.20,5,6\n", price_precision=2)
    assert (err.line, err.field, err.value) == (3, "bid", "1.105")
    assert "never rounded" in err.why


def test_a_price_needing_more_decimals_than_the_inferred_prefix_is_refused(tmp_path):
    err = _fail(tmp_path, QUOTES + GOOD_Q * 3 + "5000,1.1001,1.2,5,6\n", infer_rows=2)
    assert (err.line, err.field) == (5, "bid")


def test_a_crossed_quote_is_refused_by_default_and_accepted_when_allowed(tmp_path):
    err = _fail(tmp_path, QUOTES + GOOD_Q + "2000,1.30,1.20,5,6\n")
    assert (err.line, err.field, err.value) == (3, "bid", "1.30")
    assert "crossed" in err.why
    assert len(load_all(iter_quotes_csv(tmp_path / "data.csv", 1, allow_crossed=True))) == 2


def test_a_timestamp_going_backwards_is_refused_but_ties_are_allowed(tmp_path):
    err = _fail(tmp_path, QUOTES + GOOD_Q + GOOD_Q + "999,1.10,1.20,5,6\n")
    assert (err.line, err.field, err.value) == (4, "timestamp", "999")


def test_a_timestamp_going_backwards_across_chunks_is_refused(tmp_path):
    err = _fail(tmp_path, QUOTES + GOOD_Q * 5 + "999,1.10,1.20,5,6\n", chunk_size=2)
    assert (err.line, err.field) == (7, "timestamp")


def test_the_chunk_holding_a_bad_row_is_never_yielded(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(QUOTES + GOOD_Q * 4 + "2000,nan,1.2,5,6\n" + GOOD_Q.replace("1000", "3000"))
    got = []
    with pytest.raises(DataError):
        got.extend(iter_quotes_csv(path, 1, chunk_size=3, price_precision=2))
    assert [len(c) for c in got] == [3]


@pytest.mark.parametrize("text,field", [("timestamp,bid\n1,2\n", "ask"),
                                         ("time,bid,ask\n1,2,3\n", "timestamp")])
def test_a_missing_column_is_named(tmp_path, text, field):
    err = _fail(tmp_path, text, price_precision=1, size_precision=0)
    assert (err.line, err.field) == (1, field)


@pytest.mark.parametrize("text", ["", QUOTES, QUOTES + "\n\n"])
def test_an_empty_file_is_refused(tmp_path, text):
    err = _fail(tmp_path, text, price_precision=1)
    assert "empty file" in err.why


def test_a_row_with_a_missing_field_is_refused(tmp_path):
    err = _fail(tmp_path, QUOTES + GOOD_Q + "2000,1.1,1.2,5\n", price_precision=2)
    assert (err.line, err.field) == (3, "row")


@pytest.mark.parametrize("value", ["now", "today", "NaT", "2020-13-01 00:00:00", "yesterday"])
def test_a_timestamp_that_is_not_a_date_is_refused_and_no_clock_is_read(tmp_path, value):
    err = _fail(tmp_path, QUOTES + GOOD_Q.replace("1000", "2020-01-01") + f"{value},1,2,5,6\n")
    assert (err.line, err.field, err.value) == (3, "timestamp", value)


def test_a_bad_histdata_time_is_refused(tmp_path):
    text = "20200101 170000065,1.1,1.2,0\n20200101 17000006X,1.1,1.2,0\n"
    err = _fail(tmp_path, text, loader=iter_histdata_quotes)
    assert (err.line, err.field, err.value) == (2, "timestamp", "20200101 17000006X")


def test_a_trade_with_an_unknown_side_or_negative_size_is_refused(tmp_path):
    head = "timestamp,price,size,side\n1,10.5,2,buy\n"
    err = _fail(tmp_path, head + "2,10.5,1,sideways\n", loader=iter_trades_csv)
    assert (err.line, err.field, err.value) == (3, "side", "sideways")
    err = _fail(tmp_path, head + "2,10.5,-1,sell\n", loader=iter_trades_csv)
    assert (err.line, err.field, err.value) == (3, "size", "-1")


def test_a_bar_whose_high_is_below_its_close_is_refused(tmp_path):
    text = "timestamp,open,high,low,close\n0,1.0,1.5,0.5,1.2\n60000000000,1.2,1.3,1.1,1.4\n"
    err = _fail(tmp_path, text, loader=iter_bars_csv)
    assert (err.line, err.field, err.value) == (3, "high", "1.3")


def test_a_bar_whose_low_is_above_its_open_is_refused(tmp_path):
    text = "timestamp,open,high,low,close\n0,1.0,1.5,1.1,1.2\n"
    err = _fail(tmp_path, text, loader=iter_bars_csv)
    assert (err.line, err.field, err.value) == (2, "low", "1.1")


def test_a_depth_row_with_an_unknown_side_is_refused(tmp_path):
    text = ("symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu\n"
            "X,1,1,1,b,set,10.0,1.0,0\nX,1,1,1,x,set,10.0,1.0,0\n")
    err = _fail(tmp_path, text, loader=iter_binance_depth)
    assert (err.line, err.field, err.value) == (3, "side", "x")


def test_a_value_too_large_for_int64_is_refused(tmp_path):
    err = _fail(tmp_path, QUOTES + "1,99999999999999999999,1e30,1,1\n", price_precision=2)
    assert (err.line, err.field) == (2, "bid") and "overflows" in err.why


TARDIS_BOOK = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n"
GOOD_T = "deribit,BTC-PERPETUAL,10,11,true,ask,6421.5,18640\n"


@pytest.mark.parametrize("row,line_field_value", [
    ("deribit,BTC-PERPETUAL,20,21,false,buy,6421.5,10\n", ("side", "buy")),
    ("deribit,BTC-PERPETUAL,20,21,false,ask,6421.5,-10\n", ("amount", "-10")),
    ("deribit,BTC-PERPETUAL,20,21,false,ask,nan,10\n", ("price", "nan")),
    ("deribit,BTC-PERPETUAL,20,21,false,ask,6421.5,NaN\n", ("amount", "NaN")),
    ("deribit,BTC-PERPETUAL,9,21,false,ask,6421.5,10\n", ("timestamp", "9")),
    ("deribit,BTC-PERPETUAL,20,10,false,ask,6421.5,10\n", ("local_timestamp", "10")),
    ("deribit,BTC-PERPETUAL,20,21,maybe,ask,6421.5,10\n", ("is_snapshot", "maybe")),
])
def test_a_bad_tardis_book_row_is_refused_naming_line_field_and_value(tmp_path, row,
                                                                       line_field_value):
    from replay.loaders.tardis import iter_tardis_book_l2

    err = _fail(tmp_path, TARDIS_BOOK + GOOD_T + row, iter_tardis_book_l2, price_precision=1,
                size_precision=0)
    assert (err.line, err.field, err.value) == (3, *line_field_value)
    assert f"{tmp_path / 'data.csv'}:3: field {line_field_value[0]!r}" in str(err)


def test_a_backwards_tardis_book_time_says_it_goes_backwards(tmp_path):
    from replay.loaders.tardis import iter_tardis_book_l2

    text = TARDIS_BOOK + GOOD_T + "deribit,BTC-PERPETUAL,9,21,false,ask,6421.5,10\n"
    err = _fail(tmp_path, text, iter_tardis_book_l2)
    assert "goes backwards" in err.why and "9000 ns" in err.why


def test_a_bad_tardis_book_row_in_a_later_chunk_lets_only_earlier_chunks_through(tmp_path):
    from replay.loaders.tardis import iter_tardis_book_l2

    path = tmp_path / "book.csv"
    path.write_text(TARDIS_BOOK + GOOD_T * 3 + "deribit,BTC-PERPETUAL,10,11,true,ask,1,-1\n")
    seen = []
    with pytest.raises(DataError) as err:
        for chunk in iter_tardis_book_l2(path, 1, chunk_size=2, price_precision=1,
                                         size_precision=0):
            seen.append(chunk)
    assert err.value.line == 5
    assert sum(len(c) for c in seen) == 0  # LAST needs the next chunk: nothing of a group leaks


BTC_BARS = "timestamp,open,high,low,close,volume\n"


def test_float_noise_volume_error_names_the_options_and_a_precision_that_keeps_the_data(tmp_path):
    text = (BTC_BARS + "2022-01-01 03:07:00,1.0,1.0,1.0,1.0,2.5\n"
            "2022-01-01 03:08:00,1.0,1.0,1.0,1.0,218102.59507500002\n")
    err = _fail(tmp_path, text, iter_bars_csv, size_precision=4)
    assert (err.line, err.field, err.value) == (3, "volume", "218102.59507500002")
    assert "passing size_precision=6, round_volume=True" in err.why
    assert "only volume" in err.why


def test_a_volume_that_is_not_float_noise_gets_no_precision_guess(tmp_path):
    text = BTC_BARS + "2022-01-01 03:07:00,1.0,1.0,1.0,1.0,2.12345678901234\n"
    err = _fail(tmp_path, text, iter_bars_csv, size_precision=4)
    assert "size_precision=N (the decimals to keep), round_volume=True" in err.why
