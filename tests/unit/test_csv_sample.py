"""The sample check that plans a CSV file's column types agrees with the exact clean scan."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from replay.loaders.csv_sample import plain_decimals
from replay.loaders.csv_scan import scan_clean

_CLEAN = st.from_regex(rb"\A-?[0-9]{1,21}(\.[0-9]{0,21})?\Z|\A-?\.[0-9]{1,21}\Z")
_ODD = st.binary(max_size=6).map(lambda b: bytes(c for c in b if c < 0x80) or b"")
_ALPHABET = st.lists(st.sampled_from(b"0123456789.-+e x0\xff"), max_size=8).map(bytes)
_VALUES = st.lists(st.one_of(_CLEAN, _CLEAN, _ALPHABET, _ODD), min_size=0, max_size=30)


def _expected(arrow: pa.Array) -> tuple[int, bool] | None:
    """What the column-type planner used to derive from ``scan_clean``."""
    clean = scan_clean(arrow)
    if clean is None:
        return None
    frac = clean[1]
    values = arrow.to_pylist()
    return int(frac.max(initial=0)), any(b"." in v for v in values)


@given(_VALUES)
def test_plain_decimals_accepts_exactly_the_columns_the_clean_scan_accepts(values):
    arrow = pa.array(values, pa.binary())
    assert plain_decimals(arrow) == _expected(arrow)


@given(_VALUES, st.integers(0, 30))
def test_a_sliced_column_is_judged_by_its_own_values_only(values, start):
    head = [b"1.2.3", b"-x", b".", b"1.123456789"]  # before the slice: must not count
    arrow = pa.array(head + values, pa.binary()).slice(len(head) + min(start, len(values)))
    assert plain_decimals(arrow) == _expected(pa.array(arrow.to_pylist(), pa.binary()))


@pytest.mark.parametrize(("values", "expected"), [
    ([b"0.70000", b"0.70016"], (5, True)),
    ([b"0.70000", b"0.70010"], (4, True)),  # a fraction's trailing zeros are dropped
    ([b"5900000", b"-12"], (0, False)),
    ([b"5.", b"7"], (0, True)),
    ([b"9223372036854775807"], (0, False)),
    ([b"9223372036854775808"], None),
    ([b"-9223372036854775808"], None),
    ([b"0000000000000000000000001.50"], (1, True)),
    ([b"1.5", b""], None),
    ([b"-"], None), ([b"."], None), ([b"--1"], None), ([b"1-"], None), ([b"+1"], None),
    ([b"1.2.3"], None), ([b"1e5"], None), ([b" 1"], None),
])
def test_named_values(values, expected):
    assert plain_decimals(pa.array(values, pa.binary())) == expected


def test_a_null_value_or_an_empty_column_is_not_plain():
    assert plain_decimals(pa.array([b"1", None], pa.binary())) is None
    assert plain_decimals(pa.array([], pa.binary())) is None


def test_a_quotes_csv_backtest_never_imports_pyarrow_compute(tmp_path):
    csv = tmp_path / "audusd.csv"
    rows = "".join(f"{i},0.7{i % 97:04d},0.7{i % 97 + 3:04d},100000,200000\n" for i in range(1, 400))
    csv.write_text("timestamp,bid,ask,bid_size,ask_size\n" + rows)
    code = (
        "import sys\n"
        "from replay.cli import main\n"
        f"code = main(['backtest', '--strategy', 'ema_cross', '--data', {str(csv)!r}, "
        f"'--journal', {str(tmp_path / 'j')!r}, '--quiet', '--json'])\n"
        "print(code, 'pyarrow.compute' in sys.modules, file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip().splitlines()[-1] == "0 False"

