"""Typed reading (pyarrow converts number columns as it reads) gives exactly what the exact scan
of raw bytes gives: the same records, the same errors, wherever in the file the odd value is."""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replay.loaders import csv_chunks, csv_typed
from replay.loaders.bars_csv import iter_bars_csv
from replay.loaders.csv_chunks import iter_row_chunks
from replay.loaders.csv_common import load_all
from replay.loaders.csv_scan import OK, scan_decimals
from replay.loaders.csv_typed import TypedColumn, TypedReadStopped, _passes_guard
from replay.loaders.errors import DataError
from replay.loaders.quotes_csv import QuoteOptions, iter_quotes_csv, number_columns
from replay.loaders.trades_csv import iter_trades_csv

_FIELD = st.text(alphabet="0123456789.-+ \texXE,\"", max_size=8).map(str.encode)


def _read(csv: bytes, ty: pa.DataType) -> pa.Array | None:
    """Column ``v`` of ``csv`` read by pyarrow as ``ty``, or None if it refuses."""
    try:
        table = pacsv.read_csv(io.BytesIO(csv), read_options=pacsv.ReadOptions(
            column_names=["v", "k"]), convert_options=pacsv.ConvertOptions(
            column_types={"v": ty, "k": pa.int64()}, null_values=[],
            strings_can_be_null=False))
    except pa.ArrowInvalid:
        return None
    return table.column("v").combine_chunks()


@settings(max_examples=300)
@given(st.lists(_FIELD, min_size=1, max_size=6), st.integers(0, 6))
def test_pyarrow_numbers_equal_the_exact_scan_wherever_the_guard_lets_them_through(values, scale):
    """The guard is what makes typed reading exact: anything pyarrow reads differently from the
    exact scan of the same field's bytes (blanks at a field's edge, exponents, hex) never gets
    past it."""
    csv = b"".join(v + b",1\n" for v in values)
    raw = _read(csv, pa.binary())
    if raw is None or not _passes_guard(csv, 0, len(csv)):
        return
    mant, frac, status = scan_decimals(raw)
    for ty in (pa.int64(), pa.decimal128(18, scale)):
        typed = _read(csv, ty)
        if typed is None:
            continue
        at = ty.scale if pa.types.is_decimal(ty) else 0
        assert (status == OK).all() and (frac <= at).all(), values
        assert TypedColumn.of(typed, list).values.tolist() == (mant * 10 ** (at - frac)).tolist()


@pytest.mark.parametrize("text", [b"1e5", b"0x10", b" 1", b"1 ", b"1\t", b'" 1"', b'"1 "'])
def test_the_guard_stops_what_pyarrow_would_read_differently(text):
    csv = b"1," + text + b"\n"
    assert not _passes_guard(csv, 0, len(csv))


@pytest.mark.parametrize("csv", [b" 1,2\n", b"1,2 "])
def test_the_guard_stops_a_blank_at_either_end_of_a_block(csv):
    assert not _passes_guard(csv, 0, len(csv))


def test_the_guard_lets_a_blank_inside_a_field_through():
    csv = b"20200101 170000065,1.1212,1.1217,0\n"
    assert _passes_guard(csv, 0, len(csv))


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """Typed blocks of 64 KiB, so a test file of a few thousand rows spans several."""
    monkeypatch.setattr(csv_chunks, "BLOCK_SIZE", 1 << 16)


def _rows(n: int, start: int = 0) -> list[str]:
    return [f"{1_700_000_000_000_000_000 + i},{0.7 + (i % 97) * 1e-5:.5f},"
            f"{0.7010 + (i % 89) * 1e-5:.5f},{(i % 50 + 1) * 100_000},{(i % 7 + 1) * 100_000}"
            for i in range(start, start + n)]


def _write(tmp_path, rows: list[str], name: str = "q.csv"):
    path = tmp_path / name
    path.write_text("timestamp,bid,ask,bid_size,ask_size\n" + "\n".join(rows) + "\n")
    return path


def _outcome(load, *args, **kwargs) -> bytes | str:
    try:
        return load_all(load(*args, **kwargs)).tobytes()
    except DataError as exc:
        return f"DataError: {exc}"


def _both(monkeypatch, load, *args, **kwargs) -> tuple[bytes | str, bytes | str]:
    typed = _outcome(load, *args, **kwargs)
    monkeypatch.setattr(csv_chunks, "TYPED_READING", False)
    exact = _outcome(load, *args, **kwargs)
    monkeypatch.setattr(csv_chunks, "TYPED_READING", True)
    return typed, exact


def test_a_plain_quotes_file_is_read_typed(tmp_path):
    path = _write(tmp_path, _rows(50))
    chunk = next(iter_row_chunks(path, numbers=number_columns(QuoteOptions())))
    assert {name: type(col) for name, col in chunk.columns.items()} == dict.fromkeys(
        ("timestamp", "bid", "ask", "bid_size", "ask_size"), TypedColumn)
    assert chunk.columns["bid"].scale == 5 and chunk.columns["bid_size"].scale == 0
    assert chunk.columns["bid"][3] == "0.70003"  # the text, read back from the file


# odd values far enough in the file to be past the start that chooses the types
@pytest.mark.parametrize(("column", "value"), [
    (1, "0.700011"),   # more decimals than the start: within the read-ahead, precision 6
    (1, "-0.70001"), (1, "0.8"), (2, " 0.7"), (2, "7e-1"), (3, "+100"), (3, "0x10"),
    (3, "1.5"), (4, ""), (4, "nan"), (0, "1"), (0, "1.5"), (2, "9999999999999999999"),
    (1, "1.0000000000000000000000"), (4, "100000,1")])
def test_an_odd_value_late_in_the_file_gives_what_the_exact_scan_gives(tmp_path, monkeypatch,
                                                                      column, value):
    rows = _rows(5000)
    cells = rows[4321].split(",")
    cells[column] = value
    rows[4321] = ",".join(cells)
    path = _write(tmp_path, rows)
    typed, exact = _both(monkeypatch, iter_quotes_csv, path, 1, chunk_size=1000)
    assert typed == exact
    given = _both(monkeypatch, iter_quotes_csv, path, 1, chunk_size=1000, price_precision=5,
                  size_precision=0)
    assert given[0] == given[1]


def test_a_value_needing_more_decimals_after_the_read_ahead_is_refused_naming_it(tmp_path,
                                                                                monkeypatch):
    rows = _rows(5000)
    rows[4000] = rows[4000].replace(",0.70", ",0.700001", 1)
    path = _write(tmp_path, rows)
    typed, exact = _both(monkeypatch, iter_quotes_csv, path, 1, chunk_size=1000, infer_rows=2000)
    assert typed == exact and "q.csv:4002: field 'bid' has value '0.700001" in typed


def test_the_chunks_before_a_typed_reading_stops_are_the_same_chunks(tmp_path):
    rows = _rows(5000)
    rows[4500] = rows[4500].replace(",0.70", ", 0.70", 1)
    path = _write(tmp_path, rows)
    numbers = number_columns(QuoteOptions())
    chunks = list(iter_row_chunks(path, 700, numbers=numbers))
    assert [c.first_row for c in chunks] == list(range(0, 5000, 700))
    assert isinstance(chunks[0].columns["bid"], TypedColumn)
    assert not isinstance(chunks[-1].columns["bid"], TypedColumn)  # read again as bytes
    with pytest.raises(TypedReadStopped):
        list(csv_typed.iter_typed_tables(str(path), ["timestamp", "bid", "ask", "bid_size",
                                                     "ask_size"], True,
                                         {"bid": pa.decimal128(18, 5)}, 1 << 16))


_CELL = st.one_of(st.sampled_from(["0.7", "0.70001", "-0.5", "1.25", "+3", " 2", "1e2", "0x1",
                                   "", "nan", "7", "0.7000000", "12", "5.", ".5"]),
                  st.decimals(0, 100, places=4).map(str))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_CELL, _CELL, _CELL, _CELL), min_size=1, max_size=12),
       st.integers(1, 5), st.booleans())
def test_quotes_load_the_same_typed_or_not(tmp_path_factory, rows, chunk_size, given_precision):
    """Random cells (valid, odd and bad) after a plain start: same records or same error."""
    path = tmp_path_factory.mktemp("q") / "q.csv"
    body = _rows(20) + [f"{1_800_000_000_000_000_000 + i},{a},{b},{c},{d}"
                        for i, (a, b, c, d) in enumerate(rows)]
    path.write_text("timestamp,bid,ask,bid_size,ask_size\n" + "\n".join(body) + "\n")
    kwargs = {"price_precision": 5, "size_precision": 4} if given_precision else {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(csv_typed, "SNIFF_BYTES", 300)  # the odd rows lie past the typed start
        mp.setattr(csv_chunks, "BLOCK_SIZE", 512)  # and in a later block
        typed, exact = _both(mp, iter_quotes_csv, path, 1, chunk_size=chunk_size, **kwargs)
    assert typed == exact


def test_bars_and_trades_read_typed_give_the_same_records(tmp_path, monkeypatch):
    bars = tmp_path / "bars.csv"
    bars.write_text("timestamp,open,high,low,close,volume\n" + "".join(
        f"{60_000_000_000 * i},1.{i % 9}1,1.{i % 9}5,1.{i % 9}0,1.{i % 9}2,{i}.25\n"
        for i in range(3000)))
    typed, exact = _both(monkeypatch, iter_bars_csv, bars, 1)
    assert typed == exact and isinstance(typed, bytes)
    trades = tmp_path / "trades.csv"
    trades.write_text("timestamp,price,size\n" + "".join(
        f"{1000 + i},{100 + i % 13}.{i % 10},{i % 5 + 1}\n" for i in range(3000)))
    typed, exact = _both(monkeypatch, iter_trades_csv, trades, 1)
    assert typed == exact and isinstance(typed, bytes)


def test_gzip_files_are_read_typed_the_same(tmp_path, monkeypatch):
    import gzip

    rows = _rows(3000)
    path = tmp_path / "q.csv.gz"
    path.write_bytes(gzip.compress(("timestamp,bid,ask,bid_size,ask_size\n"
                                    + "\n".join(rows) + "\n").encode()))
    typed, exact = _both(monkeypatch, iter_quotes_csv, path, 1)
    assert typed == exact
    plain = load_all(iter_quotes_csv(_write(tmp_path, rows), 1))
    assert np.frombuffer(typed, np.uint8).tobytes() == plain.tobytes()
