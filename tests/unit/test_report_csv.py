"""The report's CSV writer and its value formatting."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.enums import OrderSide
from domain.values import Price, Quantity, fixed_text
from replay.report import _write_csv
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
