"""``ringbus record`` against the local replay server, as a real process: the journal verifies,
its book equals the loader's, and it is backtest data whose inputs are the recorded records."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from domain.codec import as_kind
from domain.enums import RecordFlag
from domain.kinds import Kind
from engines.book.l2 import L2Book
from journal.reader import JournalReader
from journal.store import Journal
from journal.verify import VerifyStatus, verify_journal
from replay.loaders.binance_depth import iter_binance_depth
from replay.loaders.csv_common import load_all
from tests.live_data.binance_server import BinanceReplayServer, Faults, ServerThread, Timeline
from tests.live_data.conftest import ringbus_process

FEEDS = """
[binance]
ws_base_url = "ws://127.0.0.1:{port}"
rest_base_url = "http://127.0.0.1:{port}"
backoff_initial_s = 0.05
max_reconnects = 5

[[binance.symbols]]
symbol = "BTCUSDT"
price_precision = 1
size_precision = 3
"""


def _records(path: Path) -> np.ndarray:
    with Journal.open(path, readonly=True) as journal:
        return JournalReader(journal).records_between(1)


def _inputs(records: np.ndarray, kind: int) -> np.ndarray:
    return records[(records["kind"] == kind) & ((records["flags"] & RecordFlag.INPUT) != 0)]


def _levels(records: np.ndarray, iid: int) -> tuple:
    book = L2Book(iid, fail_fast=True)
    book.apply(records)
    s = book.snapshot()
    return tuple(s[k].tolist() for k in ("bid_key", "bid_size", "ask_key", "ask_size"))


def test_record_then_backtest_the_recording(shared_data, tmp_path):
    snap_csv = shared_data / "btcusdt-depth-snap.csv"
    upd_csv = shared_data / "btcusdt-depth-update.csv"
    server = ServerThread(BinanceReplayServer(Timeline(snap_csv, upd_csv, 4),
                                              faults=Faults(skip_at=frozenset({12})),
                                              min_gap_s=0.01))
    try:
        feeds = tmp_path / "feeds.toml"
        feeds.write_text(FEEDS.format(port=server.port))
        journal = tmp_path / "rec"
        out = ringbus_process("record", "--config", str(feeds), "--journal", str(journal),
                              "--seconds", "3", "--json", timeout=120)
    finally:
        server.stop()
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["resyncs"] == 2 and doc["n_inputs"] > 0  # the connection's sync + the skip
    assert verify_journal(journal).status == VerifyStatus.CLEAN

    recorded = _records(journal)
    deltas = _inputs(recorded, Kind.BOOK_DELTA)
    iid = int(as_kind(deltas, Kind.BOOK_DELTA)["instrument_id"][0])
    loader = load_all(iter_binance_depth([snap_csv, upd_csv], iid))
    assert _levels(deltas, iid) == _levels(loader, iid)
    assert int(as_kind(deltas, Kind.BOOK_DELTA)["venue_sequence"][-1]) == 2098041696700

    from replay.backtest import BacktestNode
    from replay.config import BacktestConfig, DataConfig, StrategyConfig

    run = BacktestNode(BacktestConfig(data=[DataConfig(str(journal))],
                                      strategies=[StrategyConfig("noop", {})],
                                      journal=str(tmp_path / "bt"))).run()
    assert run.instruments == ("BTCUSDT.BINANCE",)
    replayed = _inputs(_records(Path(run.journal)), Kind.BOOK_DELTA)
    assert len(replayed) == len(deltas)
    # the same inputs, byte for byte but for seq and the interned instrument id
    a, b = deltas.copy(), replayed.copy()
    for x in (a, b):
        x["seq"] = 0
        as_kind(x, Kind.BOOK_DELTA)["instrument_id"] = 0
    assert (a == b).all()
