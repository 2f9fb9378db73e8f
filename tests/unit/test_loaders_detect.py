"""Format detection picks the right loader for every real file and refuses unknown ones."""

from __future__ import annotations

import numpy as np
import pytest

from domain.codec import as_kind
from domain.enums import AggressorSide
from domain.kinds import Kind
from replay.loaders.csv_common import load_all
from replay.loaders.detect import UnknownFormat, detect_format


@pytest.mark.parametrize("name,fmt", [
    ("quote_tick_data.csv", "histdata"),
    ("usdjpy-ticks.csv", "truefx"),
    ("gbpusd-m1-bid-2012.csv", "bars"),
    ("btc-perp-20211231-20220201_1m.csv", "bars"),
    ("btcusdt-depth-snap.csv", "binance_depth"),
    ("btcusdt-depth-update.csv", "binance_depth"),
    ("bitmex_trades_XBTUSD.csv", "tardis_trades"),
    ("esh4-glbx-mdp3-20231225.mbo.dbn.zst", "dbn"),
])
def test_each_real_file_is_detected_as_its_format(shared_data, name, fmt):
    assert detect_format(shared_data / name).name == fmt


def test_a_detected_loader_loads_the_file(shared_data):
    path = shared_data / "usdjpy-ticks.csv"
    assert len(load_all(detect_format(path).loader(path, 1))) == 1000


def test_tardis_bitmex_trades_load_with_exchange_and_local_times(shared_data):
    path = shared_data / "bitmex_trades_XBTUSD.csv"
    t = as_kind(load_all(detect_format(path).loader(path, 8)), Kind.TRADE)
    assert len(t) == 10
    assert (t["ts_event"][0], t["ts_init"][0]) == (1583020803145000000, 1583020803307160000)
    assert (t["price"][0], t["price_precision"][0], t["size"][0]) == (85315, 1, 2152)
    assert (t["aggressor_side"] == AggressorSide.SELLER).all()
    assert len(np.unique(t["trade_id"])) == 10


def test_an_unknown_header_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(UnknownFormat, match="x.csv"):
        detect_format(path)


def test_the_deribit_book_is_detected_as_tardis_book(shared_data):
    assert detect_format(shared_data / "deribit_incremental_book_L2_BTC-PERPETUAL.csv").name \
        == "tardis_book"


def test_options_given_to_detect_format_are_bound_into_the_loader(shared_data):
    path = shared_data / "btc-perp-20211231-20220201_1m.csv"
    fmt = detect_format(path, size_precision=7, round_volume=True)
    assert dict(fmt.options) == {"size_precision": 7, "round_volume": True}
    assert {"size_precision", "round_volume", "price_precision"} <= set(fmt.option_names)
    b = as_kind(load_all(fmt.loader(path, 9)), Kind.BAR)
    assert len(b) == 45031 and (b["size_precision"] == 7).all()
    assert b["volume"][247] == 2181025950750  # line 249: 218102.59507500002 -> 218102.5950750
    assert b["volume"][0] == 23004137295000  # 2300413.7295 kept exactly


def test_the_btc_bars_by_default_fail_saying_which_options_to_pass(shared_data):
    from replay.loaders.errors import DataError

    path = shared_data / "btc-perp-20211231-20220201_1m.csv"
    with pytest.raises(DataError) as err:
        load_all(detect_format(path).loader(path, 9))
    assert (err.value.line, err.value.field) == (13880, "volume")
    assert "size_precision=7, round_volume=True" in str(err.value)


def test_an_option_the_format_does_not_take_is_refused_naming_it(shared_data):
    from replay.loaders.detect import UnknownOption

    with pytest.raises(UnknownOption, match="'round_volume'.*'histdata'"):
        detect_format(shared_data / "quote_tick_data.csv", round_volume=True)


def test_the_dbn_loader_options_are_its_keyword_parameters(shared_data):
    fmt = detect_format(shared_data / "esh4-glbx-mdp3-20231225.mbo.dbn.zst")
    assert "price_precision" in fmt.option_names and not fmt.options
