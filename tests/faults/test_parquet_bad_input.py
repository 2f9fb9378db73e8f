"""Bad NautilusTrader catalog files are refused naming the file, row, field and value: each case
is a file NautilusTrader 1.221 wrote (tests/fixtures/nautilus-catalog) with one thing broken."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from replay.parquet_import import nautilus_sources
from replay.parquet_read import ParquetDataError, ParquetFormatError

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "nautilus-catalog"
QUOTES = ("quote_tick", "USDJPY.SIM")
TRADES = ("trade_tick", "XBTUSD.BITMEX")
BARS = ("bar", "GBPUSD.SIM-1-MINUTE-BID-EXTERNAL")
DELTAS = ("order_book_delta", "BTCUSDT.BINANCE")


def fixed(value: int) -> bytes:
    """A 16-byte fixed-point value (10**16 units per unit)."""
    return value.to_bytes(16, "little", signed=True)


def units(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole + frac.ljust(16, "0"))


def set_value(name: str, row: int, value: object, nullable: bool = False
              ) -> Callable[[pa.Table], pa.Table]:
    def change(table: pa.Table) -> pa.Table:
        i = table.schema.get_field_index(name)
        field = table.schema.field(i)
        values = table.column(name).to_pylist()
        values[row] = value
        field = field.with_nullable(nullable or field.nullable)
        return table.set_column(i, field, pa.array(values, field.type))
    return change


def broken(tmp_path: Path, where: tuple[str, str], change: Callable[[pa.Table], pa.Table]
           ) -> tuple[Path, Path]:
    root = tmp_path / "nautilus"
    shutil.copytree(FIXTURE, root)
    file = next((root / "data" / where[0] / where[1]).glob("*.parquet"))
    pq.write_table(change(pq.read_table(file)), file)
    return root, file


def refused(call: Callable[[], object], error: type[Exception], message: str) -> None:
    """Asserts that ``call`` raises ``error`` with a message starting with ``message``."""
    with pytest.raises(error) as caught:
        call()
    assert str(caught.value).startswith(message)


def load(root: Path, instrument: str | None = None, **options: object) -> None:
    for source in nautilus_sources(root, instrument=instrument, options=options):
        for _ in source.chunks(0):
            pass


@pytest.mark.parametrize(("where", "change", "message"), [
    (QUOTES, set_value("bid_price", 5, None, nullable=True),
     "row 5: field 'bid_price' = None: is null"),
    (QUOTES, set_value("bid_price", 3, fixed(-units("86.655"))),
     "row 3: field 'bid_price' = '-86.655': must not be negative"),
    (QUOTES, set_value("bid_price", 4, fixed(units("99.999"))),
     "row 4: field 'bid_price' = '99.999': crossed quote: bid > ask"),
    (QUOTES, set_value("ask_price", 6, fixed(units("86.7285"))),
     "row 6: field 'ask_price' = '86.7285 (867285000000000000 fixed-point units)': needs more "
     "decimals than the precision 3 (never rounded)"),
    (QUOTES, set_value("ask_size", 2, fixed(10 ** 36)),
     "row 2: field 'ask_size' = '1e+20 (1000000000000000000000000000000000000 fixed-point "
     "units)': overflows int64 at precision 0"),
    (QUOTES, set_value("ts_init", 7, 1_000), "row 7: field 'ts_init' = 1000: goes backwards"),
    (QUOTES, set_value("ts_event", 0, 2 ** 63), "row 0: field 'ts_event' = 9223372036854775808: "
     "is beyond int64 nanoseconds"),
    (TRADES, set_value("aggressor_side", 1, 7),
     "row 1: field 'aggressor_side' = 7: is not a NautilusTrader code in 0..2"),
    (TRADES, set_value("size", 9, fixed(-units("1"))),
     "row 9: field 'size' = '-1': must not be negative"),
    (BARS, set_value("high", 8, fixed(units("1.5"))),
     "row 8: field 'high' = '1.50000': high is below max(open, close)"),
    (BARS, set_value("low", 9, fixed(units("1.9"))),
     "row 9: field 'low' = '1.90000': low is above min(open, close)"),
    (DELTAS, set_value("action", 2, 9),
     "row 2: field 'action' = 9: is not a NautilusTrader code in 1..4"),
    (DELTAS, set_value("side", 2, 3), "row 2: field 'side' = 3: is not a NautilusTrader code"),
])
def test_a_bad_value_is_refused_naming_file_row_field_and_value(
        tmp_path: Path, where: tuple[str, str], change: Callable[[pa.Table], pa.Table],
        message: str) -> None:
    root, file = broken(tmp_path, where, change)
    refused(lambda: load(root), ParquetDataError, f"{file}: {message}")


def test_crossed_quotes_load_when_allowed(tmp_path: Path) -> None:
    root, _ = broken(tmp_path, QUOTES, set_value("bid_price", 4, fixed(units("99.999"))))
    load(root, allow_crossed=True)


def test_a_configured_precision_too_small_for_the_values_is_refused_not_rounded(
        tmp_path: Path) -> None:
    with pytest.raises(ParquetDataError, match="row 0: field 'bid_price' = '86.655 .*needs "
                                               r"more decimals than the precision 2 \(never"):
        load(FIXTURE, "USD/JPY.SIM", price_precision=2)


def test_time_going_back_between_two_files_of_one_stream_is_refused(tmp_path: Path) -> None:
    root, file = broken(tmp_path, QUOTES, lambda t: t)
    later = file.with_name("2014-01-01T00-00-00-000000000Z_2014-01-01T00-00-00-000000000Z"
                           ".parquet")
    table = pq.read_table(file)
    pq.write_table(table.slice(0, 3), later)
    with pytest.raises(ParquetDataError, match=rf"{later}: row 0: field 'ts_init' = "
                                               r"1357077600295000000: goes backwards"):
        load(root)


@pytest.mark.parametrize(("where", "change", "message"), [
    (QUOTES, lambda t: t.drop_columns(["ask_price"]),
     "column 'ask_price' is missing; a NautilusTrader quote_tick file has fixed_size_binary[16]"),
    (QUOTES, lambda t: t.set_column(4, pa.field("ts_event", pa.int64(), False),
                                    t.column("ts_event").cast(pa.int64())),
     "column 'ts_event' is int64; a NautilusTrader quote_tick file has uint64"),
    (QUOTES, lambda t: t.replace_schema_metadata({b"instrument_id": b"USD/JPY.SIM"}),
     "schema metadata 'price_precision' is missing"),
    (QUOTES, lambda t: t.replace_schema_metadata({**t.schema.metadata,
                                                  b"size_precision": b"-1"}),
     "schema metadata 'size_precision' = '-1' is not a precision in 0..16"),
    (BARS, lambda t: t.replace_schema_metadata({**t.schema.metadata,
                                                b"bar_type": b"GBP/USD.SIM-1-FORTNIGHT-BID-"
                                                             b"EXTERNAL"}),
     "bar_type 'GBP/USD.SIM-1-FORTNIGHT-BID-EXTERNAL' is not STEP-AGGREGATION-PRICE_TYPE-SOURCE"),
])
def test_a_file_without_nautilus_columns_or_metadata_is_refused_before_any_row(
        tmp_path: Path, where: tuple[str, str], change: Callable[[pa.Table], pa.Table],
        message: str) -> None:
    root, file = broken(tmp_path, where, change)
    refused(lambda: nautilus_sources(root), ParquetFormatError, f"{file}: {message}")


def test_a_file_not_named_by_its_interval_or_not_parquet_is_refused(tmp_path: Path) -> None:
    root, file = broken(tmp_path, TRADES, lambda t: t)
    odd = file.with_name("part-0.parquet")
    file.rename(odd)
    with pytest.raises(ParquetFormatError, match="part-0.parquet: not named <start>_<end>"):
        nautilus_sources(root)
    garbage = file.with_name("2020-03-01T00-00-00-000000000Z_2020-03-01T00-00-01-000000000Z"
                             ".parquet")
    odd.unlink()
    garbage.write_bytes(b"not parquet")
    with pytest.raises(ParquetFormatError, match="not a readable Parquet file"):
        nautilus_sources(root)


def test_ingest_command_reports_bad_input_in_one_line_and_exits_2(tmp_path: Path) -> None:
    root, file = broken(tmp_path, QUOTES, set_value("bid_price", 3, fixed(-units("1"))))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "replay.cli", "ingest", str(root), "--catalog",
                           str(tmp_path / "c")], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 2
    assert done.stderr == (f"ringbus ingest: error: {file}: row 3: field 'bid_price' = '-1.000': "
                           "must not be negative\n")
    done = subprocess.run([sys.executable, "-m", "replay.cli", "ingest", str(tmp_path / "c"),
                           "--format", "nautilus-parquet", "--catalog", str(tmp_path / "d")],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2 and "not a NautilusTrader catalog" in done.stderr
