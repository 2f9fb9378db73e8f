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
