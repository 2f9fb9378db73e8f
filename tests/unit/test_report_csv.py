"""The report's CSV writer and its value formatting."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.enums import OrderSide
from domain.values import Price, Quantity, fixed_text
from replay.report import _write_csv, plain_csv_lines
from replay.result_tables import Tables, enum_name


def test_rows_are_written_in_column_order_and_quoted(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    _write_csv(path, ("a", "b"), [(1, "x,y"), (None, "")])
    assert path.read_bytes() == b'a,b\r\n1,"x,y"\r\n,\r\n'


def test_no_rows_writes_the_first_column_alone(tmp_path: Path) -> None:
    _write_csv(tmp_path / "t.csv", ("seq", "ts_event"), [])
    assert (tmp_path / "t.csv").read_bytes() == b"seq\r\n"


def test_a_tables_dicts_are_its_rows_under_its_columns() -> None:
    tables = Tables({"t": lambda: (("a", "b"), [(1, "x"), (2, "y")])})
    assert tables.get("t") == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    assert tables.rows("t") == (("a", "b"), [(1, "x"), (2, "y")])
    assert tables.get("t") is tables.get("t")  # built once


@pytest.mark.parametrize(("raw", "precision"), [(0, 0), (-7, 0), (150, 2), (-5, 3), (5, 3),
                                                (2**63 - 1, 9), (-(2**63) + 1, 9)])
def test_fixed_text_is_the_values_text(raw: int, precision: int) -> None:
    assert fixed_text(raw, precision) == str(Price(raw, precision))
    if raw >= 0:
        assert fixed_text(raw, precision) == str(Quantity(raw, precision))


def test_enum_name_is_the_members_name_and_refuses_an_unknown_value() -> None:
    assert enum_name(OrderSide, int(OrderSide.SELL)) == "SELL"
    with pytest.raises(ValueError):
        enum_name(OrderSide, 99)


_VALUES = st.one_of(st.integers(-2**70, 2**70), st.floats(allow_nan=True), st.none(),
                    st.text(alphabet=st.sampled_from('ab ,"\r\nNone0.-'), max_size=6),
                    st.booleans())


@given(st.integers(1, 5).flatmap(
    lambda width: st.tuples(st.just(width), st.lists(st.tuples(*[_VALUES] * width), max_size=8))))
def test_the_report_writes_exactly_what_the_csv_writer_writes(tmp_path_factory, case) -> None:
    width, rows = case
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    columns = tuple(f"c{i}" for i in range(width))
    _write_csv(path, columns, rows)
    expected = io.StringIO()
    writer = csv.writer(expected)
    writer.writerow(columns[:1] if not rows else columns)
    writer.writerows(rows)
    assert path.read_bytes() == expected.getvalue().encode()


def test_plain_rows_take_the_format_path_and_odd_ones_the_writer() -> None:
    assert plain_csv_lines([(1, "x", 2.5), (2, "y", -0.0)], 3) == "1,x,2.5\r\n2,y,-0.0\r\n"
    for odd in ("x,y", 'say "hi"', "a\nb", None):
        assert plain_csv_lines([(1, odd)], 2) is None
    assert plain_csv_lines([(1, 2, 3)], 2) is None  # a row of another width
