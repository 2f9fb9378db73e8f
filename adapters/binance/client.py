"""The Binance market-data client: combined WebSocket stream + REST snapshots -> records.

Design contract:
- one connection to the combined stream of every symbol's ``@depth@<speed>`` and trade
  stream; every (re)connection starts a fresh sync of every book (:class:`BookSync`);
- a snapshot is fetched (REST, in a worker thread) once a symbol's first diff is buffered,
  and fetched again while the sync refuses it (stale) or restarts (gap);
- records go to ``sink`` in apply order: a book's snapshot (CLEAR + ADDs) before its diffs;
  trades as they arrive; ``ts_init`` comes from ``clock`` (ns) at receipt;
- a lost connection reconnects after an exponential backoff (``backoff_initial_s`` doubling
  to ``backoff_max_s``, reset by a successful connect); after ``max_reconnects`` failed
  attempts in a row :meth:`run` raises ConnectionError naming the URL;
- :meth:`run` returns once ``stop`` is set (checked at least every ``poll_s``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import numpy as np
import websockets
from websockets.asyncio.client import connect

from adapters.binance.book_sync import BookSync
from adapters.binance.config import BinanceDataConfig, BinanceSymbol
from adapters.binance.wire import depth_records, snapshot_records, trade_records

_MS = 1_000_000


class BinanceMarketData:
    """Streams Binance market data of ``config.symbols`` into ``sink`` as INPUT records."""

    def __init__(self, config: BinanceDataConfig, sink: Callable[[np.ndarray], None], *,
                 clock: Callable[[], int] = time.time_ns, poll_s: float = 0.1) -> None:
        self.config, self.sink, self.clock, self.poll_s = config, sink, clock, poll_s
        self.by_stream = {s.stream_name: s for s in config.symbols}
        self.syncs = {s.symbol: BookSync(s.symbol) for s in config.symbols}
        self.connections = 0
        self.log: list[str] = []
        self._fetching: dict[str, asyncio.Task[None]] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Connects, streams and reconnects until ``stop`` is set."""
        url, failures, backoff = self.config.stream_url(), 0, self.config.backoff_initial_s
        while not stop.is_set():
            try:
                async with connect(url, open_timeout=self.config.http_timeout_s) as ws:
                    self.connections += 1
                    failures, backoff = 0, self.config.backoff_initial_s
                    await self._session(ws, stop)
            except (OSError, TimeoutError, websockets.WebSocketException) as exc:
                self.log.append(f"connection lost: {type(exc).__name__}: {exc}")
            finally:
                self._cancel_fetches()
            if stop.is_set():
                return
            failures += 1
            if self.config.max_reconnects is not None and failures > self.config.max_reconnects:
                raise ConnectionError(f"binance: {url}: gave up after {failures - 1} reconnects")
            await _sleep_unless(stop, backoff)
            backoff = min(backoff * 2, self.config.backoff_max_s)

    async def _session(self, ws: Any, stop: asyncio.Event) -> None:
        for sync in self.syncs.values():
            sync.reset("new connection")
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), self.poll_s)
            except TimeoutError:
                continue
            envelope = json.loads(raw)
            stream, msg = envelope["stream"], envelope["data"]
            sym = self.by_stream[stream.partition("@")[0]]
            if msg.get("e") == "depthUpdate":
                sync = self.syncs[sym.symbol]
                self._emit(sym, sync.on_diff(msg))
                self._want_snapshot(sym, stop)
            elif msg.get("e") in ("trade", "aggTrade"):
                self.sink(trade_records(sym, msg, self.clock()))

    def _emit(self, sym: BinanceSymbol, steps: list[tuple[str, dict[str, Any]]],
              snap_ts: int = 0) -> None:
        for what, payload in steps:
            ts_init = self.clock()
            if what == "snapshot":
                self.sink(snapshot_records(sym, payload, snap_ts, ts_init))
            else:
                self.sink(depth_records(sym, payload, ts_init))

    def _want_snapshot(self, sym: BinanceSymbol, stop: asyncio.Event, delay: float = 0.0
                       ) -> None:
        task = self._fetching.get(sym.symbol)
        if self.syncs[sym.symbol].wants_snapshot and (task is None or task.done()):
            self._fetching[sym.symbol] = asyncio.create_task(self._fetch(sym, stop, delay))

    async def _fetch(self, sym: BinanceSymbol, stop: asyncio.Event, delay: float) -> None:
        await _sleep_unless(stop, delay)
        sync = self.syncs[sym.symbol]
        if stop.is_set() or not sync.wants_snapshot:
            return
        try:
            snap = await asyncio.to_thread(self._get_json, self.config.depth_url(sym.symbol))
        except (OSError, ValueError) as exc:
            self.log.append(f"{sym.symbol}: snapshot failed: {exc}")
            snap = None
        if snap is not None:
            first_e = int(snap.get("E", sync.buffer[0]["E"] if sync.buffer else 0))
            self._emit(sym, sync.on_snapshot(snap), first_e * _MS)
        del self._fetching[sym.symbol]
        self._want_snapshot(sym, stop, self.config.backoff_initial_s)

    def _get_json(self, url: str) -> dict[str, Any]:
        with urllib.request.urlopen(url, timeout=self.config.http_timeout_s) as resp:
            return json.loads(resp.read())

    def _cancel_fetches(self) -> None:
        for task in self._fetching.values():
            task.cancel()
        self._fetching.clear()


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    if seconds > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
