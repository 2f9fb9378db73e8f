"""The Binance adapter against the local replay server: it resyncs through every fault and its
book equals the loader-built book after every message and at every resync point."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from adapters.binance import BinanceDataConfig, BinanceMarketData, BinanceSymbol
from domain.codec import as_kind
from domain.enums import RecordFlag
from domain.kinds import Kind
from engines.book.l2 import L2Book
from replay.loaders.binance_depth import iter_binance_depth
from replay.loaders.csv_common import load_all
from tests.live_data.binance_server import BinanceReplayServer, Faults, Timeline

DEADLINE_S = 20.0


def _levels(book: L2Book) -> tuple:
    s = book.snapshot()
    return tuple(s[k].tolist() for k in ("bid_key", "bid_size", "ask_key", "ask_size"))


async def _stream(shared_data, sym: BinanceSymbol, faults: Faults, rows_per_event: int
                  ) -> tuple[Timeline, BinanceReplayServer, BinanceMarketData, list[np.ndarray]]:
    tl = Timeline(shared_data / "btcusdt-depth-snap.csv",
                  shared_data / "btcusdt-depth-update.csv", rows_per_event)
    server = BinanceReplayServer(tl, faults=faults, min_gap_s=0.01 * rows_per_event)
    port = await server.start()
    cfg = BinanceDataConfig(symbols=(sym,), ws_base_url=f"ws://127.0.0.1:{port}",
                            rest_base_url=f"http://127.0.0.1:{port}", backoff_initial_s=0.02,
                            backoff_max_s=0.2, max_reconnects=20, http_timeout_s=2.0)
    batches: list[np.ndarray] = []
    client = BinanceMarketData(cfg, batches.append, clock=iter(range(1, 10**9)).__next__)
    stop = asyncio.Event()
    runner = asyncio.create_task(client.run(stop))
    final = tl.events[-1]["u"]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_S
    sync = client.syncs[sym.symbol]
    while not (sync.state == "live" and sync.last_update_id == final):
        assert loop.time() < deadline, f"no sync to u={final}: {client.log + sync.log}"
        assert not runner.done(), runner.exception()
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(runner, 5)
    await server.stop()
    return tl, server, client, batches


def _check_books(shared_data, sym: BinanceSymbol, tl: Timeline, batches: list[np.ndarray]
                 ) -> int:
    """Applies the adapter's batches one by one; after each, its book must equal the loader's
    book of snapshot + the rows up to the batch's update id. Returns the snapshots seen."""
    loader = load_all(iter_binance_depth([shared_data / "btcusdt-depth-snap.csv",
                                          shared_data / "btcusdt-depth-update.csv"],
                                         sym.instrument_id))
    n_snap = int((loader["flags"] & RecordFlag.SNAPSHOT != 0).sum())
    live, snapshots = L2Book(sym.instrument_id, fail_fast=True), 0
    for batch in batches:
        live.apply(batch)
        snapshots += bool(batch["flags"][0] & RecordFlag.SNAPSHOT)
        seq = _sequence(batch)
        want = L2Book(sym.instrument_id, fail_fast=True)
        want.apply(loader[:n_snap + tl.rows_at(seq)])
        assert _levels(live) == _levels(want), f"book differs after update id {seq}"
    assert tl.rows_at(_sequence(batches[-1])) == tl.n_rows
    return snapshots


def _sequence(batch: np.ndarray) -> int:
    return int(as_kind(batch, Kind.BOOK_DELTA)["venue_sequence"][-1])


FAULTS = {
    "clean": (Faults(), 1, 0),
    "dropped_connection": (Faults(drop_at=frozenset({30})), 2, 0),
    "skipped_update_id": (Faults(skip_at=frozenset({25, 60})), 1, 2),
    "stale_snapshot": (Faults(stale_snapshots=2), 1, 0),
    "all_at_once": (Faults(drop_at=frozenset({50}), skip_at=frozenset({20}),
                           stale_snapshots=1), 2, 1),
}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_adapter_resyncs_through_fault(shared_data, btcusdt: BinanceSymbol, name: str):
    faults, connections, gaps = FAULTS[name]
    tl, server, client, batches = asyncio.run(_stream(shared_data, btcusdt, faults, 1))
    sync = client.syncs[btcusdt.symbol]
    assert client.connections == server.connections == connections
    # a resync per connection (a fresh sync) plus one per skipped id
    assert sync.resyncs == connections + gaps, sync.log
    assert sync.stale_snapshots == faults.stale_snapshots
    snapshots = _check_books(shared_data, btcusdt, tl, batches)
    assert snapshots == connections + gaps


def test_several_rows_per_message(shared_data, btcusdt: BinanceSymbol):
    tl, _, client, batches = asyncio.run(
        _stream(shared_data, btcusdt, Faults(skip_at=frozenset({10})), 7))
    assert client.syncs[btcusdt.symbol].resyncs == 2
    _check_books(shared_data, btcusdt, tl, batches)


def test_gives_up_after_max_reconnects(btcusdt: BinanceSymbol):
    cfg = BinanceDataConfig(symbols=(btcusdt,), ws_base_url="ws://127.0.0.1:9",
                            rest_base_url="http://127.0.0.1:9", backoff_initial_s=0.01,
                            backoff_max_s=0.02, max_reconnects=2, http_timeout_s=1.0)
    client = BinanceMarketData(cfg, lambda batch: None)
    with pytest.raises(ConnectionError, match=r"127.0.0.1:9/stream.*gave up after 2"):
        asyncio.run(asyncio.wait_for(client.run(asyncio.Event()), 10))
    assert client.connections == 0 and len(client.log) == 3
