"""The sandbox node on the local replay server: the simulated exchange trades on live data; the
journal re-executes identically, and a backtest of its recorded inputs gives the same orders
and fills."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from domain.enums import RecordFlag
from domain.kinds import Kind
from journal.reader import JournalReader
from journal.store import Journal
from replay.config import ConfigError
from replay.nodes.sandbox import SandboxNode, sandbox_config
from tests.live_data.binance_server import BinanceReplayServer, Faults, ServerThread, Timeline
from tests.live_data.conftest import ringbus_process

ORDER_KINDS = [k for k in Kind if k.name.startswith("ORDER_") or k.name in
               ("SUBMIT_ORDER", "CANCEL_ORDER", "MODIFY_ORDER")]


def _config(port: int) -> dict:
    return {
        "binance": {"ws_base_url": f"ws://127.0.0.1:{port}",
                    "rest_base_url": f"http://127.0.0.1:{port}", "backoff_initial_s": 0.05,
                    "max_reconnects": 5,
                    "symbols": [{"symbol": "BTCUSDT", "price_precision": 1,
                                 "size_precision": 3}]},
        "venues": [{"name": "BINANCE"}],
        "strategies": [{"name": "market_maker",
                        "params": {"trade_size": "0.010", "max_inventory": "0.050",
                                   "half_spread_ticks": 1}}],
        "durability": "sync",
    }


def _records(path: str) -> np.ndarray:
    with Journal.open(path, readonly=True) as journal:
        return JournalReader(journal).records_between(1)


def _by_input(records: np.ndarray) -> list[tuple]:
    """For each market-data input (by its bytes, seq aside), the order records that follow it
    before the next input: kind, ts_init and payload (bytes 48..128)."""
    out, current = [], None
    for rec in records:
        kind = int(rec["kind"])
        if kind in (Kind.BOOK_DELTA, Kind.TRADE) and rec["flags"] & RecordFlag.INPUT:
            current = (int(rec["ts_init"]), bytes(rec.tobytes()[16:]))
            out.append([current])
        elif kind in ORDER_KINDS and current is not None:
            out[-1].append((kind, int(rec["ts_init"]), rec.tobytes()[48:]))
    return [tuple(x) for x in out]


def test_sandbox_trades_on_live_data_reexecutes_and_matches_a_backtest(shared_data, tmp_path):
    timeline = Timeline(shared_data / "btcusdt-depth-snap.csv",
                        shared_data / "btcusdt-depth-update.csv", 2)
    server = ServerThread(BinanceReplayServer(timeline, faults=Faults(drop_at=frozenset({20})),
                                              min_gap_s=0.01))
    stop = threading.Event()
    timer = threading.Timer(3.0, stop.set)
    try:
        node = SandboxNode(_config(server.port), journal=str(tmp_path / "sandbox"))
        timer.start()
        run = node.run(stop)
    finally:
        timer.cancel()
        server.stop()
    recs = _records(run.journal)
    kinds = set(recs["kind"].tolist())
    assert Kind.RUN_ENDED in kinds and Kind.SUBMIT_ORDER in kinds, "the strategy never quoted"
    assert Kind.ORDER_FILLED in kinds, "the simulated exchange never filled"
    assert timeline.done

    out = ringbus_process("verify", run.journal, "--reexecute")
    assert out.returncode == 0, out.stdout + out.stderr

    from replay.backtest import BacktestNode
    from replay.config import DataConfig

    cfg, _, _ = sandbox_config(_config(server.port))
    import attrs

    bt = BacktestNode(attrs.evolve(cfg, data=[DataConfig(run.journal)],
                                   journal=str(tmp_path / "bt"))).run()
    live, replayed = _by_input(recs), _by_input(_records(bt.journal))
    assert len(live) == run.n_inputs and sum(len(x) > 1 for x in live) > 0
    assert live == replayed


def test_sandbox_config_refusals():
    base = _config(1)
    with pytest.raises(ConfigError, match="no \\[binance\\] table"):
        sandbox_config({k: v for k, v in base.items() if k != "binance"})
    with pytest.raises(ConfigError, match="data must be empty"):
        sandbox_config({**base, "data": [{"path": "x.csv"}]})
    two = {**base["binance"], "symbols": base["binance"]["symbols"] * 2}
    with pytest.raises(ConfigError, match="names a symbol twice"):
        sandbox_config({**base, "binance": two})
    with pytest.raises(ConfigError, match="unknown keys"):
        sandbox_config({**base, "sandbox": {"heartbeat": 1}})
    with pytest.raises(ConfigError, match="heartbeat_interval_s must be"):
        sandbox_config({**base, "sandbox": {"heartbeat_interval_s": -1}})


SANDBOX_TOML = """
durability = "sync"

[binance]
ws_base_url = "ws://127.0.0.1:{port}"
rest_base_url = "http://127.0.0.1:{port}"
backoff_initial_s = 0.05

[[binance.symbols]]
symbol = "BTCUSDT"
price_precision = 1
size_precision = 3

[[venues]]
name = "BINANCE"

[[strategies]]
name = "market_maker"
params = {{ trade_size = "0.010", max_inventory = "0.050", half_spread_ticks = 1 }}
"""


def test_sandbox_command_runs_as_a_process(shared_data, tmp_path):
    import json

    server = ServerThread(BinanceReplayServer(
        Timeline(shared_data / "btcusdt-depth-snap.csv",
                 shared_data / "btcusdt-depth-update.csv", 5), min_gap_s=0.01))
    try:
        config = tmp_path / "sandbox.toml"
        config.write_text(SANDBOX_TOML.format(port=server.port))
        out = ringbus_process("sandbox", "--config", str(config), "--journal",
                              str(tmp_path / "j"), "--seconds", "3", "--json")
    finally:
        server.stop()
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["journal"] == str(tmp_path / "j") and doc["n_orders"] > 0
    assert int(_records(doc["journal"])["kind"][-1]) == Kind.RUN_ENDED


def _symbol(name: str) -> dict:
    return {"symbol": name, "price_precision": 1, "size_precision": 3}


def _maker(symbol: str) -> dict:
    return {"name": "market_maker",
            "params": {"instrument": f"{symbol}.BINANCE", "component_id": f"mm_{symbol}",
                       "trade_size": "0.010", "max_inventory": "0.050", "half_spread_ticks": 1}}


def test_sandbox_runs_two_symbols_books_match_the_loader_and_both_trade(shared_data, tmp_path):
    """BTCUSDT's files are served twice, as BTCUSDT and ETHUSDT, over one combined stream with
    a dropped connection: each book resyncs on its own and ends equal to the loader's book; a
    market maker per symbol trades each."""
    from domain.codec import as_kind
    from engines.book.l2 import L2Book
    from replay.loaders.binance_depth import iter_binance_depth
    from replay.loaders.csv_common import load_all
    from tests.live_data.test_binance_replay import _levels

    files = (shared_data / "btcusdt-depth-snap.csv", shared_data / "btcusdt-depth-update.csv")
    btc, eth = Timeline(*files, 2), Timeline(*files, 2, symbol="ETHUSDT")
    server = ServerThread(BinanceReplayServer(btc, more=(eth,), min_gap_s=0.01,
                                              faults=Faults(drop_at=frozenset({30}))))
    cfg = _config(server.port)
    cfg["binance"]["symbols"] = [_symbol("BTCUSDT"), _symbol("ETHUSDT")]
    cfg["strategies"] = [_maker("BTCUSDT"), _maker("ETHUSDT")]
    stop = threading.Event()
    try:
        node = SandboxNode(cfg, journal=str(tmp_path / "sandbox"))
        runner = threading.Thread(target=lambda: setattr(node, "result", node.run(stop)))
        runner.start()
        for _ in range(600):  # both timelines served (bounded), then a little quiet
            if btc.done and eth.done:
                break
            threading.Event().wait(0.05)
        threading.Event().wait(0.5)
        stop.set()
        runner.join(60)
    finally:
        stop.set()
        server.stop()
    assert btc.done and eth.done and server.server.connections >= 2
    recs = _records(node.result.journal)
    ids = {}
    inputs = recs[(recs["kind"] == Kind.BOOK_DELTA) & ((recs["flags"] & RecordFlag.INPUT) != 0)]
    of_input = as_kind(inputs, Kind.BOOK_DELTA)["instrument_id"]
    fills = as_kind(recs[recs["kind"] == Kind.ORDER_FILLED], Kind.ORDER_FILLED)
    iids = sorted(set(of_input.tolist()))
    assert len(iids) == 2, iids
    for iid in iids:
        mine = inputs[of_input == iid]
        assert int((mine["flags"] & RecordFlag.SNAPSHOT != 0).sum()) >= 2, "no resync"
        live = L2Book(iid, fail_fast=True)
        live.apply(mine)
        want = L2Book(iid, fail_fast=True)
        want.apply(load_all(iter_binance_depth(list(files), iid)))
        assert _levels(live) == _levels(want), f"instrument {iid}: book differs from the loader's"
        ids[iid] = int((fills["instrument_id"] == iid).sum())
    assert all(n > 0 for n in ids.values()), f"fills per instrument: {ids}"
    out = ringbus_process("verify", node.result.journal, "--reexecute")
    assert out.returncode == 0, out.stdout + out.stderr


def test_sandbox_timers_fire_on_the_wall_clock_in_a_silent_feed(shared_data, tmp_path):
    """Five events, then silence: the strategy's 100 ms timer keeps firing (journaled TIMER
    records after the last input), heartbeats are journaled every 0.2 s, and the journal
    re-executes identically."""
    from domain.codec import as_kind

    timeline = Timeline(shared_data / "btcusdt-depth-snap.csv",
                        shared_data / "btcusdt-depth-update.csv", 20)
    server = ServerThread(BinanceReplayServer(timeline, min_gap_s=0.01))
    cfg = _config(server.port)
    cfg["strategies"] = [{"name": "tests.live_data.ticker:Ticker", "params": {"interval_ms": 100}}]
    cfg["sandbox"] = {"heartbeat_interval_s": 0.2}
    stop = threading.Event()
    timer = threading.Timer(2.0, stop.set)
    try:
        node = SandboxNode(cfg, journal=str(tmp_path / "sandbox"))
        timer.start()
        run = node.run(stop)
    finally:
        timer.cancel()
        server.stop()
    assert timeline.done
    recs = _records(run.journal)
    data = recs[(recs["kind"] == Kind.BOOK_DELTA) & ((recs["flags"] & RecordFlag.INPUT) != 0)]
    last_input = int(data["ts_init"].max())
    timers = recs[recs["kind"] == Kind.TIMER]
    silent = timers[timers["ts_event"] > last_input]
    assert len(silent) >= 8, f"{len(silent)} timers after the last input"
    # every 100 ms of the node's clock, without an input to carry it
    assert set(np.diff(timers["ts_event"].astype(np.int64)).tolist()) == {100_000_000}
    seqs = recs["seq"].tolist()
    assert all(int(recs["ts_init"][seqs.index(s)]) >= last_input for s in silent["seq"].tolist())
    beats = as_kind(recs[recs["kind"] == Kind.HEARTBEAT], Kind.HEARTBEAT)
    assert len(beats) >= 5 and int(beats["interval_ns"][0]) == 200_000_000
    assert beats["count"].tolist() == list(range(1, len(beats) + 1))
    out = ringbus_process("verify", run.journal, "--reexecute", "--trust-journal-code")
    assert out.returncode == 0, out.stdout + out.stderr


def test_sandbox_whose_feed_gives_up_ends_faulted_and_raises(tmp_path):
    """No server: the adapter gives up after one reconnect; the run ends FAULTED (journaled)
    and the adapter's error reaches the caller."""
    import socket

    from domain.codec import as_kind
    from domain.enums import RunEndReason

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = _config(port)
    cfg["binance"]["max_reconnects"] = 1
    journal = str(tmp_path / "sandbox")
    with pytest.raises(ConnectionError, match="gave up after 1 reconnects"):
        SandboxNode(cfg, journal=journal).run(threading.Event())
    recs = _records(journal)
    end = as_kind(recs[-1:], Kind.RUN_ENDED)
    assert int(recs["kind"][-1]) == Kind.RUN_ENDED
    assert RunEndReason(int(end["reason"][0])) == RunEndReason.FAULTED
