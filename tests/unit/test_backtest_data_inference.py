"""Issue 18 "Data inference": a file's instrument comes from its symbol column, its name or its
DBN metadata; a file that names none is refused with "give --instrument", never defaulted."""

from __future__ import annotations

from pathlib import Path

import pytest

from replay.backtest_data import UnknownInstrumentError, open_source
from replay.commands.demo import DEMO_DATA
from replay.config import DataConfig


@pytest.mark.parametrize(("name", "symbol"), [
    ("bitmex_trades_XBTUSD.csv", "XBTUSD.BITMEX"),
    ("deribit_incremental_book_L2_BTC-PERPETUAL.csv", "BTC-PERPETUAL.DERIBIT"),
    ("btcusdt-depth-snap.csv", "BTCUSDT.BINANCE"),
    ("usdjpy-ticks.csv", "USD/JPY.SIM"),
    ("gbpusd-m1-bid-2012.csv", "GBP/USD.SIM"),
    ("esh4-glbx-mdp3-20231225.mbo.dbn.zst", "ESH4.GLBX"),
])
def test_the_instrument_is_inferred_from_the_file(shared_data: Path, name: str,
                                                  symbol: str) -> None:
    source = open_source(DataConfig(str(shared_data / name)), ())
    assert source.symbol == symbol and source.inferred


def test_the_demo_histdata_file_is_eur_usd_by_its_name() -> None:
    assert open_source(DataConfig(str(DEMO_DATA)), ()).symbol == "EUR/USD.SIM"


@pytest.mark.parametrize("name", ["btc-perp-20211231-20220201_1m.csv", "quote_tick_data.csv"])
def test_a_file_that_names_no_instrument_is_refused_not_defaulted(shared_data: Path,
                                                                  name: str) -> None:
    with pytest.raises(UnknownInstrumentError, match="give --instrument"):
        open_source(DataConfig(str(shared_data / name)), ())
    given = open_source(DataConfig(str(shared_data / name), instrument_id="X.SIM",
                                   options={"size_precision": 7, "round_volume": True}
                                   if name.startswith("btc") else {}), ())
    assert given.symbol == "X.SIM" and not given.inferred


def test_a_file_with_two_symbols_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("timestamp,symbol,price,size\n1,AAA,1.5,1\n2,BBB,1.5,1\n")
    with pytest.raises(UnknownInstrumentError, match="one instrument per file"):
        open_source(DataConfig(str(path)), ())
