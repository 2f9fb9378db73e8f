"""Every real CSV file in ../shared/data loads with the expected counts, times and values."""

from __future__ import annotations

import numpy as np
import pytest

from domain.codec import as_kind
from domain.enums import BookAction, OrderSide, RecordFlag
from domain.kinds import RECORD_DTYPE, Kind
from engines.book.l2 import L2Book
from replay.loaders.bars_csv import BarSpec, iter_bars_csv
from replay.loaders.binance_depth import iter_binance_depth
from replay.loaders.csv_common import infer_precision, load_all
from replay.loaders.histdata import iter_histdata_quotes
from replay.loaders.truefx import iter_truefx_quotes


def test_histdata_eurusd_loads_9500_quotes_in_utc_with_inferred_precision(shared_data):
    records = load_all(iter_histdata_quotes(shared_data / "quote_tick_data.csv", 7))
    q = as_kind(records, Kind.QUOTE)
    assert records.dtype == RECORD_DTYPE and len(records) == 9500
    # first row: 20200101 170000065 EST = 2020-01-01T22:00:00.065Z
    assert q["ts_event"][0] == q["ts_init"][0] == 1_577_916_000_065_000_000
    assert q["ts_event"][-1] == np.datetime64("2020-01-02T04:00:52.125", "ns").view(np.int64)
    assert (q["price_precision"] == 5).all() and (q["size_precision"] == 0).all()
    assert (q["bid"][0], q["ask"][0]) == (112120, 112172)
    assert (q["bid"][-1], q["ask"][-1]) == (112130, 112132)
    assert (q["bid_size"] == 1_000_000).all() and (q["flags"] == RecordFlag.INPUT).all()
    assert (q["instrument_id"] == 7).all() and (q["seq"] == 0).all()


def test_truefx_usdjpy_loads_1000_quotes_with_offsets_applied(shared_data):
    q = as_kind(load_all(iter_truefx_quotes(shared_data / "usdjpy-ticks.csv", 3)), Kind.QUOTE)
    assert len(q) == 1000
    assert q["ts_event"][0] == np.datetime64("2013-01-01T22:00:00.295", "ns").view(np.int64)
    assert q["ts_event"][-1] == np.datetime64("2013-01-01T22:35:13.494", "ns").view(np.int64)
    assert (q["price_precision"] == 3).all()
    assert (q["bid"][0], q["ask"][0], q["bid"][-1], q["ask"][-1]) == (86655, 86728, 86836, 86854)


@pytest.mark.parametrize("name,first_open", [("gbpusd-m1-bid-2012.csv", 157597),
                                             ("gbpusd-m1-ask-2012.csv", 157608)])
def test_fxcm_minute_bars_load_with_ts_event_at_the_close(shared_data, name, first_open):
    spec = BarSpec.parse("1-MINUTE-BID")
    b = as_kind(load_all(iter_bars_csv(shared_data / name, 4, spec=spec)), Kind.BAR)
    assert len(b) == 30117
    open_ns = np.datetime64("2012-02-01T00:00", "ns").view(np.int64)
    assert b["ts_open"][0] == open_ns and b["ts_event"][0] == open_ns + 60_000_000_000
    assert b["ts_open"][-1] == np.datetime64("2012-03-01T00:00", "ns").view(np.int64)
    assert b["open"][0] == first_open and (b["price_precision"] == 5).all()
    assert (b["step"] == 1).all() and (b["volume"] == 0).all()
    assert (b["high"] >= np.maximum(b["open"], b["close"])).all()


def test_btc_minute_bars_load_45031_bars_with_rounded_volume(shared_data):
    path = shared_data / "btc-perp-20211231-20220201_1m.csv"
    b = as_kind(load_all(iter_bars_csv(path, 9, size_precision=4, round_volume=True,
                                       chunk_size=10_000)), Kind.BAR)
    assert len(b) == 45031
    assert b["ts_open"][0] == np.datetime64("2021-12-31T23:01", "ns").view(np.int64)
    assert b["ts_open"][-1] == np.datetime64("2022-02-01T05:31", "ns").view(np.int64)
    pp = int(b["price_precision"][0])
    assert pp == infer_precision(path, ("open", "high", "low", "close"))
    assert b["open"][0] == 46319 * 10**pp and b["close"][-1] == 38544 * 10**pp
    assert b["volume"][0] == 23004137295  # 2300413.7295
    assert b["volume"][242] == 2891699848  # line 244: 289169.9847625 rounded half up


def test_btc_bars_volume_with_too_many_decimals_is_refused_by_default(shared_data):
    from replay.loaders.errors import DataError

    with pytest.raises(DataError) as err:
        load_all(iter_bars_csv(shared_data / "btc-perp-20211231-20220201_1m.csv", 9,
                               size_precision=4))
    assert err.value.field == "volume" and err.value.line == 244


def test_binance_snapshot_then_updates_build_a_consistent_l2_book(shared_data):
    paths = [shared_data / "btcusdt-depth-snap.csv", shared_data / "btcusdt-depth-update.csv"]
    records = load_all(iter_binance_depth(paths, 5, chunk_size=33))
    d = as_kind(records, Kind.BOOK_DELTA)
    assert len(d) == 201  # CLEAR + 100 snapshot ADDs + 100 update MODIFYs
    assert d["action"][0] == BookAction.CLEAR and d["flags"][0] & RecordFlag.SNAPSHOT
    assert (d["action"][1:101] == BookAction.ADD).all()
    assert (d["action"][101:] == BookAction.MODIFY).all()
    assert np.flatnonzero(d["flags"] & RecordFlag.LAST).tolist() == [100, 200]
    assert d["ts_event"][0] == 1_667_346_579_146_000_000
    assert (d["price"][1], d["size"][1], d["side"][1]) == (203770, 1770, OrderSide.BUY)  # 20377.00, 1.770
    book = L2Book(5, fail_fast=True)
    book.apply(records)
    assert book.best_bid() == (204721, 22276) and book.best_ask() == (204722, 4211)


def test_each_chunk_holds_at_most_chunk_size_records(shared_data):
    sizes = [len(c) for c in iter_histdata_quotes(shared_data / "quote_tick_data.csv", 1,
                                                  chunk_size=4000)]
    assert sizes == [4000, 4000, 1500]

