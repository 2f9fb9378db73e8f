"""Binance wire messages -> records: the mapping matches the backtest loader's."""

from __future__ import annotations

import pytest

from adapters.binance.config import BinanceDataConfig, BinanceSymbol
from adapters.binance.wire import depth_records, scaled, snapshot_records, trade_records
from domain.codec import as_kind
from domain.enums import AggressorSide, BookAction, RecordFlag
from domain.kinds import Kind
from replay.loaders.binance_depth import iter_binance_depth
from replay.loaders.csv_common import load_all
from tests.live_data.binance_server import Timeline


def test_scaled_is_exact_or_refused():
    assert scaled("20377.00", 1, "p") == 203770
    assert scaled("0.001", 3, "q") == 1
    assert scaled("5", 2, "q") == 500
    with pytest.raises(ValueError, match=r"price='1.25': not a decimal exact at 1 places"):
        scaled("1.25", 1, "price")
    with pytest.raises(ValueError, match="negative"):
        scaled("-1", 1, "qty")
    with pytest.raises(ValueError, match="not a decimal"):
        scaled("1e5", 1, "qty")


def test_trade_message_documented_example(btcusdt: BinanceSymbol):
    # The field layout of Binance's documented trade stream payload.
    msg = {"e": "trade", "E": 1672515782136, "s": "BTCUSDT", "t": 12345, "p": "20377.1",
           "q": "0.250", "T": 1672515782130, "m": True, "M": True}
    t = as_kind(trade_records(btcusdt, msg, ts_init=99), Kind.TRADE)[0]
    assert (t["price"], t["size"], t["trade_id"]) == (203771, 250, 12345)
    assert t["aggressor_side"] == AggressorSide.SELLER  # buyer was the maker
    assert (t["ts_event"], t["ts_init"]) == (1672515782130 * 1_000_000, 99)
    agg = dict(msg, e="aggTrade", a=777, m=False)
    a = as_kind(trade_records(btcusdt, agg, ts_init=1), Kind.TRADE)[0]
    assert (a["trade_id"], a["aggressor_side"]) == (777, AggressorSide.BUYER)


def test_snapshot_and_diff_records_equal_the_loaders(shared_data, btcusdt: BinanceSymbol):
    """Whole-file messages give the loader's records field for field (ts_init aside)."""
    snap_csv = shared_data / "btcusdt-depth-snap.csv"
    upd_csv = shared_data / "btcusdt-depth-update.csv"
    loader = load_all(iter_binance_depth([snap_csv, upd_csv], btcusdt.instrument_id))
    tl = Timeline(snap_csv, upd_csv, rows_per_event=10_000)
    snap = dict(tl.initial, lastUpdateId=2098021528332)
    live_snap = snapshot_records(btcusdt, snap, loader["ts_event"][0], loader["ts_init"][0])
    live_diff = depth_records(btcusdt, tl.events[0], loader["ts_init"][-1])
    assert len(live_snap) + len(live_diff) == len(loader)
    assert (live_snap == loader[:len(live_snap)]).all()
    # the loader keeps file row order (asks and bids interleaved); a message lists bids first
    want = as_kind(loader[len(live_snap):], Kind.BOOK_DELTA)
    got = as_kind(live_diff, Kind.BOOK_DELTA)
    key = ("side", "price", "size", "action", "venue_sequence", "ts_event")
    assert sorted(map(tuple, [[r[k] for k in key] for r in got])) == \
        sorted(map(tuple, [[r[k] for k in key] for r in want]))
    assert (got["action"] == BookAction.MODIFY).all()
    assert got["flags"][-1] == RecordFlag.INPUT | RecordFlag.LAST


def test_config_urls_and_refusals():
    cfg = BinanceDataConfig.from_dict({
        "ws_base_url": "ws://127.0.0.1:1", "rest_base_url": "http://127.0.0.1:1",
        "trade_stream": "aggTrade",
        "symbols": [{"symbol": "BTCUSDT", "instrument_id": 1, "price_precision": 2,
                     "size_precision": 5}]})
    assert cfg.stream_url() == ("ws://127.0.0.1:1/stream?streams="
                                "btcusdt@depth@100ms/btcusdt@aggTrade")
    assert cfg.depth_url("BTCUSDT") == "http://127.0.0.1:1/api/v3/depth?symbol=BTCUSDT&limit=1000"
    with pytest.raises(ValueError, match="unknown keys"):
        BinanceDataConfig.from_dict({"symbols": [], "wsurl": "x"})
    with pytest.raises(ValueError, match="trade_stream='bookTicker'"):
        BinanceDataConfig(symbols=cfg.symbols, trade_stream="bookTicker")
