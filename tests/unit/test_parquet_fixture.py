"""Importing a catalog NautilusTrader 1.221 wrote itself (tests/fixtures/nautilus-catalog, made by
tests/fixtures/make_nautilus_parquet.py from the first rows of ../shared/data files) gives the
records ringbus's own loaders make of the same rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from domain.codec import as_kind
from domain.enums import BookLevel
from domain.kinds import Kind
from replay.backtest_data import open_source
from replay.config import DataConfig
from replay.data_source import DataSource
from replay.parquet_import import FORMAT, is_nautilus_catalog, nautilus_sources

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "nautilus-catalog"


def _records(source: DataSource) -> np.ndarray:
    return np.concatenate(list(source.chunks(0)))


@pytest.fixture(scope="module")
def imported() -> dict[str, DataSource]:
    return {s.symbol: s for s in nautilus_sources(FIXTURE)}


def _loaded(shared_data: Path, name: str, n: int) -> np.ndarray:
    return _records(open_source(DataConfig(str(shared_data / name)), ()))[:n]


def test_the_fixture_is_recognised_as_a_nautilus_catalog_and_holds_four_instruments(
        imported: dict[str, DataSource]) -> None:
    assert is_nautilus_catalog(FIXTURE)
    assert sorted(imported) == ["BTCUSDT.BINANCE", "GBP/USD.SIM", "USD/JPY.SIM", "XBTUSD.BITMEX"]
    assert {s.format for s in imported.values()} == {FORMAT}
    assert imported["BTCUSDT.BINANCE"].book_level == BookLevel.L2
    assert imported["USD/JPY.SIM"].book_level == BookLevel.L1


@pytest.mark.parametrize(("symbol", "name", "rows"), [
    ("USD/JPY.SIM", "usdjpy-ticks.csv", 200),
    ("XBTUSD.BITMEX", "bitmex_trades_XBTUSD.csv", 10),
    ("GBP/USD.SIM", "gbpusd-m1-bid-2012.csv", 200),
])
def test_quotes_trades_and_bars_import_byte_identical_to_ringbus_loaders_of_the_same_rows(
        imported: dict[str, DataSource], shared_data: Path, symbol: str, name: str,
        rows: int) -> None:
    got = _records(imported[symbol])
    want = _loaded(shared_data, name, rows)
    assert len(got) == rows
    assert got.tobytes() == want.tobytes()


def test_binance_snapshot_deltas_match_the_loader_and_keep_nautilus_flags_as_venue_flags(
        imported: dict[str, DataSource], shared_data: Path) -> None:
    got = as_kind(_records(imported["BTCUSDT.BINANCE"]), Kind.BOOK_DELTA)
    want = as_kind(_loaded(shared_data, "btcusdt-depth-snap.csv", 101), Kind.BOOK_DELTA)
    assert len(got) == len(want) == 101
    for field in got.dtype.names:
        if field != "venue_flags":
            assert np.array_equal(got[field], want[field]), field
    # NautilusTrader's flags byte: SNAPSHOT (32) on all, LAST (128) on the last
    assert got["venue_flags"].tolist() == [32] * 100 + [160]
    assert int(got["price"][-1]) == 203659 and int(got["price_precision"][0]) == 1
