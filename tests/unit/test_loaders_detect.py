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
