"""Loader options reach a backtest's data files; L2 book files get an L2 book."""

from __future__ import annotations

import pytest

from domain.enums import BookLevel
from replay.backtest_data import open_source
from replay.config import DataConfig, config_from_dict
from replay.loaders.errors import DataError


def test_bars_with_float_noise_volumes_load_with_explicit_rounding_options(shared_data):
    path = str(shared_data / "btc-perp-20211231-20220201_1m.csv")
    cfg = DataConfig(path, instrument_id="BTC.SIM", bar_spec="1-MINUTE-LAST",
                     options={"size_precision": 7, "round_volume": True})
    source = open_source(cfg, ())
    assert source.instrument.size_precision == 7
    assert sum(len(chunk) for chunk in source.chunks(1)) == 45_031


def test_bars_with_float_noise_volumes_are_refused_without_options(shared_data):
    path = str(shared_data / "btc-perp-20211231-20220201_1m.csv")
    cfg = DataConfig(path, instrument_id="BTC.SIM", bar_spec="1-MINUTE-LAST")
    with pytest.raises(DataError, match="size_precision=7, round_volume=True"):
        source = open_source(cfg, ())
        for _ in source.chunks(1):
            pass


def test_an_option_the_loader_does_not_take_is_refused(shared_data):
    cfg = DataConfig(str(shared_data / "quote_tick_data.csv"), options={"no_such_option": 1})
    with pytest.raises(ValueError, match="no_such_option"):
        open_source(cfg, ())


def test_a_tardis_l2_book_file_gets_an_l2_book(shared_data):
    path = str(shared_data / "deribit_incremental_book_L2_BTC-PERPETUAL.csv")
    source = open_source(DataConfig(path, instrument_id="BTC-PERPETUAL.DERIBIT"), ())
    assert source.book_level == BookLevel.L2


def test_data_options_come_from_a_toml_table():
    cfg = config_from_dict({"data": [{"path": "bars.csv", "options": {"round_volume": True}}]})
    assert cfg.data[0].options == {"round_volume": True}
