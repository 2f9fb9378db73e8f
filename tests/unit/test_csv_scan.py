"""The two decimal scanners (Arrow kernels, numba twin) agree value for value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from replay.loaders import csv_chunks
from replay.loaders.bars_csv import iter_bars_csv
from replay.loaders.csv_common import load_all
from replay.loaders.csv_read import TextColumn
from replay.loaders.csv_scan import (
    BAD_SYNTAX,
    OK,
    OVERFLOW,
    TOO_PRECISE,
    rescale,
    scan_clean,
    scan_decimals,
)
from replay.loaders.csv_scan_numba import scan_decimals as scan_compiled
from replay.loaders.histdata import iter_histdata_quotes

CASES = [b"1.2300", b"-0.5", b"+7", b"nan", b"", b".", b"1.", b".5", b"1.2.3", b"+-1",
         b"99999999999999999999", b"9223372036854775807", b"9223372036854775808",
         b"-9223372036854775807", b"0.000001", b"\xff1", b"1e5", b" 1", b"00012.0100",
         b"-0.0", b"0000000000000000000000001.5"]
EXPECTED = [(123, 2, OK), (-5, 1, OK), (7, 0, OK), (0, 0, BAD_SYNTAX), (0, 0, BAD_SYNTAX),
            (0, 0, BAD_SYNTAX), (1, 0, OK), (5, 1, OK), (0, 0, BAD_SYNTAX), (0, 0, BAD_SYNTAX),
            (0, 0, OVERFLOW), (2**63 - 1, 0, OK), (0, 0, OVERFLOW), (1 - 2**63, 0, OK),
            (1, 6, OK), (0, 0, BAD_SYNTAX), (0, 0, BAD_SYNTAX), (0, 0, BAD_SYNTAX),
            (1201, 2, OK), (0, 0, OK), (15, 1, OK)]


def _both(values: list[bytes]):
    col = TextColumn(pa.array(values, pa.binary()))
    return scan_decimals(col.arrow), scan_compiled(col.data, col.offsets)


def _usable(scan):
    mant, frac, status = scan
    ok = status == OK
    return status.tolist(), np.where(ok, mant, 0).tolist(), np.where(ok, frac, 0).tolist()


def test_known_values_in_both_scanners():
    for scan in _both(CASES):
        status, mant, frac = _usable(scan)
        assert list(zip(mant, frac, status, strict=True)) == EXPECTED


def test_a_sliced_column_scans_only_its_rows():
    arrow = pa.array([b"x", b"1.50", b"-2"], pa.binary()).slice(1)
    mant, frac, status = scan_decimals(arrow)
    assert (mant.tolist(), frac.tolist(), status.tolist()) == ([15, -2], [1, 0], [OK, OK])


def test_rescale_flags_too_precise_and_overflow():
    mant, frac, status = scan_decimals(pa.array([b"1.25", b"1.25501", b"922337203685477.5807",
                                                 b"922337203685477.5808", b"nan"], pa.binary()))
    raw, out = rescale(mant, frac, status, 4)
    assert raw.tolist()[:3] == [12500, 0, 2**63 - 1]
    assert out.tolist() == [OK, TOO_PRECISE, OK, OVERFLOW, BAD_SYNTAX]


_TEXT = st.lists(st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: str(d).encode()),
    st.from_regex(rb"\A[+-]?[0-9]{0,22}(\.[0-9]{0,22})?\Z"),
    st.binary(max_size=6)), max_size=40)


@given(_TEXT)
def test_arrow_and_numba_scanners_agree(values):
    arrow, numba = _both(values)
    assert _usable(arrow) == _usable(numba)


_CLEAN = st.lists(st.from_regex(rb"\A-?[0-9]{1,18}(\.[0-9]{0,18})?\Z|\A-?\.[0-9]{1,18}\Z"),
                  min_size=1, max_size=40)


@given(_CLEAN)
def test_the_clean_column_fast_path_is_taken_and_agrees_with_numba(values):
    col = TextColumn(pa.array(values, pa.binary()))
    fast = scan_clean(col.arrow)
    if all(len(v.replace(b"-", b"").replace(b".", b"")) <= 18 for v in values):
        assert fast is not None  # <= 18 digits always fit int64
    if fast is not None:
        assert _usable(fast) == _usable(scan_compiled(col.data, col.offsets))
        assert not fast[2].any()


@given(_CLEAN, st.integers(0, 40))
def test_the_fast_path_reads_only_a_sliced_columns_own_bytes(values, start):
    head = [b"1.2.3", b"-x", b"."]  # odd values before the slice must not reach the scan
    arrow = pa.array(head + values, pa.binary()).slice(len(head) + min(start, len(values) - 1))
    fast = scan_clean(arrow)
    alone = scan_clean(pa.array(arrow.to_pylist(), pa.binary()))
    assert (fast is None) == (alone is None)
    if fast is not None:
        assert _usable(fast) == _usable(alone)


@pytest.mark.parametrize("odd", [b"+7", b"0x1", b"1e5", b" 1", b"1 ", b"", b".", b"-", b"--1",
                                 b"1.2.3", b"\xff1", b"9223372036854775808",
                                 b"-9223372036854775808", b"\xd9\xa1"])
def test_any_odd_value_sends_the_column_to_the_full_scan(odd):
    assert scan_clean(pa.array([b"1.5", odd], pa.binary())) is None
    mant, frac, status = scan_decimals(pa.array([b"1.5", odd], pa.binary()))
    assert (int(mant[0]), int(frac[0]), int(status[0])) == (15, 1, OK)


def test_rescale_of_clean_values_at_and_past_the_int64_edge():
    mant, frac, status = scan_decimals(pa.array([b"1.25", b"-3", b"92233720368547758.07"],
                                                pa.binary()))
    raw, out = rescale(mant, frac, status, 2)
    assert raw.tolist() == [125, -300, 2**63 - 1] and out.tolist() == [OK, OK, OK]
    raw, out = rescale(mant, frac, status, 3)
    assert raw.tolist()[:2] == [1250, -3000] and out.tolist() == [OK, OK, OVERFLOW]


@pytest.mark.parametrize(("name", "load"), [("quote_tick_data.csv", iter_histdata_quotes),
                                            ("btc-perp-20211231-20220201_1m.csv", iter_bars_csv)])
def test_a_real_file_loads_byte_identical_with_either_scanner(shared_data: Path, monkeypatch,
                                                              name, load) -> None:
    path = shared_data / name
    kwargs = {"round_volume": True, "size_precision": 7} if load is iter_bars_csv else {}
    by_arrow = load_all(load(path, 1, **kwargs))
    monkeypatch.setattr(csv_chunks, "NUMBA_MIN_BYTES", 0)
    monkeypatch.setattr(csv_chunks, "TYPED_READING", False)
    by_numba = load_all(load(path, 1, **kwargs))
    assert len(by_arrow) > 1000 and by_arrow.tobytes() == by_numba.tobytes()
