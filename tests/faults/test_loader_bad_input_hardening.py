"""Issue 18 "Bad input" for the CSV loaders: out-of-range times, huge fields and lines, non-UTF-8
bytes, too many decimals and overflowing times each end in one DataError naming the file, the
right line, the field and the value; a late bad row keeps every row of the earlier chunks."""

from __future__ import annotations

from pathlib import Path

import pytest

from replay.loaders.csv_common import load_all
from replay.loaders.errors import DataError
from replay.loaders.histdata import iter_histdata_quotes
from replay.loaders.quotes_csv import iter_quotes_csv
from replay.loaders.tardis import iter_tardis_trades
from replay.loaders.trades_csv import iter_trades_csv

QUOTES = b"timestamp,bid,ask,bid_size,ask_size\n"
GOOD = b"1000,1.10,1.20,5,6\n"


def _fail(tmp_path: Path, data: bytes, loader=iter_quotes_csv, **kw: object) -> DataError:
    path = tmp_path / "data.csv"
    path.write_bytes(data)
    with pytest.raises(DataError) as err:
        load_all(loader(path, 1, **kw))
    text = str(err.value)
    assert text.startswith(f"{path}:{err.value.line}: field {err.value.field!r}")
    assert len(text) < 1_000  # a huge value is shown cut, never pasted whole
    return err.value


def test_a_year_2300_timestamp_is_refused_not_wrapped(tmp_path):
    iso = QUOTES + GOOD.replace(b"1000", b"2020-01-01") + b"2300-01-01 00:00:00,1.1,1.2,5,6\n"
    err = _fail(tmp_path, iso)
    assert (err.line, err.field, err.value) == (3, "timestamp", "2300-01-01 00:00:00")
    assert "int64 ns" in err.why
    early = QUOTES + b"1600-01-01,1.1,1.2,5,6\n"
    assert _fail(tmp_path, early).line == 2
    hist = b"20200101 170000065,1.1,1.2,0\n23000101 170000065,1.1,1.2,0\n"
    err = _fail(tmp_path, hist, iter_histdata_quotes)
    assert (err.line, err.field) == (2, "timestamp") and "int64 ns" in err.why
    tardis = (b"exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
              b"bitmex,XBTUSD,1,1,a,buy,10.5,1\n"
              b"bitmex,XBTUSD,10413792000000000,10413792000000000,b,buy,10.5,1\n")
    err = _fail(tmp_path, tardis, iter_tardis_trades)
    assert (err.line, err.field, err.value) == (3, "timestamp", "10413792000000000")
    assert "1677-09-21..2262-04-11" in err.why


def test_a_ten_million_digit_field_is_a_clear_error(tmp_path):
    err = _fail(tmp_path, QUOTES + GOOD + b"2000," + b"1" * 10_000_000 + b",1.2,5,6\n",
                price_precision=2)
    assert (err.line, err.field) == (3, "row") and "longer than" in err.why
    err = _fail(tmp_path, QUOTES + GOOD + b"2000," + b"1" * 2_000_000 + b",1.2,5,6\n",
                price_precision=2)
    assert (err.line, err.field) == (3, "bid") and "overflows int64" in err.why
    assert err.value == "1" * 2_000_000


def test_a_50_mb_line_is_a_clear_error(tmp_path):
    err = _fail(tmp_path, QUOTES + GOOD * 3 + b"x" * 50_000_000 + b"\n" + GOOD)
    assert (err.line, err.field) == (5, "row") and "longer than" in err.why


def test_non_utf8_bytes_are_refused_naming_the_file_and_line(tmp_path):
    err = _fail(tmp_path, QUOTES + GOOD + b"\n" + GOOD + b"2000,1.1\xff\xfe,1.2,5,6\n")
    assert (err.line, err.field, err.value) == (5, "bid", "1.1\\xff\\xfe")
    assert "non-UTF-8" in err.why
    trades = b"timestamp,price,size,side\n1,10.5,2,buy\n2,10.5,1,s\xe9ll\n"
    err = _fail(tmp_path, trades, iter_trades_csv)
    assert (err.line, err.field) == (3, "side") and "non-UTF-8" in err.why


def test_13_decimals_are_refused_naming_the_file_and_line(tmp_path):
    err = _fail(tmp_path, QUOTES + GOOD + GOOD + b"2000,1.1234567890123,1.2,5,6\n")
    assert (err.line, err.field, err.value) == (4, "bid", "1.1234567890123")
    assert "13 decimals" in err.why


def test_a_timestamp_overflow_names_the_file_and_line(tmp_path):
    err = _fail(tmp_path, QUOTES + GOOD + b"\n\n" + b"99999999999999999999,1.1,1.2,5,6\n")
    assert (err.line, err.field, err.value) == (5, "timestamp", "99999999999999999999")
    assert "overflows int64" in err.why


def test_a_late_bad_row_keeps_every_valid_row_of_the_earlier_chunks(tmp_path):
    path = tmp_path / "data.csv"
    rows = [f"{1000 + i},1.10,1.20,5,6\n".encode() for i in range(7)]
    path.write_bytes(QUOTES + b"".join(rows) + b"2000,nan,1.2,5,6\n")
    got = []
    with pytest.raises(DataError) as err:
        got.extend(iter_quotes_csv(path, 1, chunk_size=3, price_precision=2, size_precision=0))
    assert err.value.line == 9
    assert [len(c) for c in got] == [3, 3]  # rows 1-6; row 7 shares the bad row's chunk
    assert got[-1]["ts_init"][-1] == 1005


def test_a_late_bad_row_keeps_the_last_valid_row_of_the_previous_chunk_in_the_journal(tmp_path):
    from domain.kinds import Kind
    from journal.reader import JournalReader
    from journal.store import Journal
    from replay.backtest import BacktestNode
    from replay.config import BacktestConfig, DataConfig, InstrumentConfig, StrategyConfig

    t0, n_good = 1_704_153_600_000_000_000, 70_000  # past the first 65,536-row chunk
    path = tmp_path / "quotes.csv"
    path.write_text("timestamp,bid,ask,bid_size,ask_size\n" + "".join(
        f"{t0 + i * 1_000_000},1.10000,1.10020,5,5\n" for i in range(n_good))
        + f"{t0 + n_good * 1_000_000},inf,1.1,5,5\n")
    inst = InstrumentConfig("EUR/USD.SIM", price_precision=5, size_precision=0)
    with pytest.raises(DataError, match=f"quotes.csv:{n_good + 2}: field 'bid'"):
        BacktestNode(BacktestConfig(
            data=[DataConfig(str(path), instrument_id="EUR/USD.SIM")], instruments=[inst],
            strategies=[StrategyConfig("noop")], journal=str(tmp_path / "j"))).run()
    with Journal.open(tmp_path / "j") as j:
        recs = JournalReader(j).records_between()
    assert int((recs["kind"] == Kind.QUOTE).sum()) == 65_536  # the whole first chunk
