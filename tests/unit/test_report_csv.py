"""The report's CSV writer and its value formatting."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.enums import OrderSide
from domain.values import Price, Quantity, fixed_text
from replay.report import _write_csv
from replay.result_tables import enum_name


def test_rows_are_written_under_the_first_rows_keys(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    _write_csv(path, [{"a": 1, "b": "x,y"}, {"a": None, "b": ""}], ["ignored"])
    assert path.read_bytes() == b'a,b\r\n1,"x,y"\r\n,\r\n'


def test_no_rows_writes_the_given_header(tmp_path: Path) -> None:
    _write_csv(tmp_path / "t.csv", [], ["seq"])
    assert (tmp_path / "t.csv").read_bytes() == b"seq\r\n"


def test_a_row_with_other_keys_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"t.csv: row 1 has the keys \['b', 'a'\]"):
        _write_csv(tmp_path / "t.csv", [{"a": 1, "b": 2}, {"b": 2, "a": 1}], ["a"])


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
