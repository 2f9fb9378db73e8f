"""NautilusTrader's catalog layout: file names, bar types, exact fixed-point conversion, and the
merge of a catalog's streams by ts_init."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from domain.enums import BarAggregation, PriceType
from domain.kinds import RECORD_DTYPE
from replay.parquet_layout import (
    FixedPointError,
    bar_type,
    file_name,
    from_fixed,
    parse_bar_type,
    parse_file_name,
    to_fixed,
)
from replay.sources import merge as merge_by_ts_init

ROOT = Path(__file__).resolve().parents[2]


def test_file_names_carry_the_first_and_last_ts_init_to_the_nanosecond() -> None:
    name = file_name(1_357_077_600_295_000_000, 1_357_079_713_494_000_001)
    assert name == "2013-01-01T22-00-00-295000000Z_2013-01-01T22-35-13-494000001Z.parquet"
    assert parse_file_name(name) == (1_357_077_600_295_000_000, 1_357_079_713_494_000_001)
    assert file_name(0, 11) == "1970-01-01T00-00-00-000000000Z_1970-01-01T00-00-00-000000011Z" \
                               ".parquet"
    assert parse_file_name("part-0.parquet") is None
    assert parse_file_name("a_b.parquet") is None


def test_bar_types_read_back_and_composite_or_unknown_ones_are_refused() -> None:
    text = bar_type("GBP/USD.SIM", 5, BarAggregation.MINUTE, PriceType.BID)
    assert text == "GBP/USD.SIM-5-MINUTE-BID-EXTERNAL"
    assert parse_bar_type(text, "GBP/USD.SIM") == (5, BarAggregation.MINUTE, PriceType.BID)
    assert parse_bar_type("ES.GLBX-100-TICK-LAST-INTERNAL", "ES.GLBX")[1] == BarAggregation.TICK
    for bad in ("GBP/USD.SIM-1-MINUTE-BID-INTERNAL@1-SECOND-EXTERNAL",
                "GBP/USD.SIM-0-MINUTE-BID-EXTERNAL", "EUR/USD.SIM-1-MINUTE-BID-EXTERNAL"):
        with pytest.raises(ValueError, match="is not STEP-AGGREGATION-PRICE_TYPE-SOURCE"):
            parse_bar_type(bad, "GBP/USD.SIM")


def test_fixed_point_round_trips_exactly_at_every_precision_including_int64_extremes() -> None:
    raw = np.array([0, 1, -1, 86_655, 2 ** 63 - 1, -(2 ** 63)], np.int64)
    for precision in (0, 3, 9, 16):
        column = to_fixed(raw, precision)
        assert column.type == pa.binary(16)
        assert np.array_equal(from_fixed(column, precision), raw)
    # 86.655 is 86655 * 10**13 units of 1e-16, little-endian two's complement
    assert to_fixed(np.array([86_655]), 3)[0].as_py() == (86_655 * 10 ** 13).to_bytes(
        16, "little", signed=True)
    # read at a larger precision: exact (scaled up); at a smaller one: refused, not rounded
    assert from_fixed(to_fixed(np.array([86_655]), 3), 5).tolist() == [8_665_500]
    with pytest.raises(FixedPointError, match="needs more decimals than the precision 2") as e:
        from_fixed(to_fixed(np.array([1, 86_655]), 3), 2)
    assert e.value.row == 0
    with pytest.raises(ValueError, match="precision 17 exceeds NautilusTrader's 16"):
        to_fixed(raw, 17)


def test_standard_precision_8_byte_columns_are_read_at_1e9_units() -> None:
    units = np.array([86_655_000_000, -5_000_000_000], np.int64)
    column = pa.Array.from_buffers(pa.binary(8), 2, [None, pa.py_buffer(units.tobytes())])
    assert from_fixed(column, 3).tolist() == [86_655, -5_000]
    with pytest.raises(FixedPointError, match="needs more decimals") as e:
        from_fixed(column, 0)
    assert e.value.row == 0


def _chunk(ts: list[int], tag: int) -> np.ndarray:
    out = np.zeros(len(ts), RECORD_DTYPE)
    out["ts_init"], out["source"] = ts, tag
    return out


def test_merge_orders_by_ts_init_and_keeps_stream_order_on_ties() -> None:
    a = iter([_chunk([1, 3, 5], 1), _chunk([5, 9], 1)])
    b = iter([_chunk([], 2), _chunk([2, 5], 2), _chunk([6, 7, 20], 2)])
    c = iter([_chunk([5], 3)])
    merged = np.concatenate(list(merge_by_ts_init([a, b, c])))
    assert merged["ts_init"].tolist() == [1, 2, 3, 5, 5, 5, 5, 6, 7, 9, 20]
    assert merged["source"].tolist() == [1, 2, 1, 1, 1, 2, 3, 2, 2, 1, 2]


def test_commands_other_than_export_and_ingest_do_not_import_pyarrow_parquet() -> None:
    code = ("import sys; from replay.cli import build_parser; build_parser(); "
            "build_parser('export'); print('pyarrow.parquet' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                          timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_ingest_of_a_data_file_does_not_import_pyarrow_parquet(shared_data: Path,
                                                               tmp_path: Path) -> None:
    code = ("import sys; from replay.cli import main; "
            f"code = main(['ingest', {str(shared_data / 'usdjpy-ticks.csv')!r}, '--catalog', "
            f"{str(tmp_path / 'c')!r}]); print(code, 'pyarrow.parquet' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                          timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "0 False", done.stderr
