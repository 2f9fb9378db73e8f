"""The sandbox node (``ringbus sandbox``): live market data into the backtest's simulated
exchange, strategies, fill / fee / latency models and journal.

Design contract:
- the config is a backtest config (venues, instruments, strategies, risk, seed, journal,
  durability) plus a ``[binance]`` feeds table (as ``ringbus record``) of exactly one symbol;
  ``data`` must be empty: the data is the live stream;
- the node IS :class:`replay.backtest.BacktestNode` over one data source whose chunks are the
  adapter's records as they arrive (:class:`LiveFeed`, the adapter on its own thread); so the
  journal holds the live inputs with their receipt ``ts_init`` and re-executes like a backtest
  journal (``ringbus verify --reexecute``), and the same recorded stream through a backtest
  (``ringbus backtest --data SANDBOX_JOURNAL``) gives the same orders and fills;
- time is the inputs' ``ts_init``: timers fire when an input at or past their time arrives;
- the run ends (RUN_ENDED, CLEAN) when ``stop`` is set: the feed stops, its last records are
  processed, then the node ends as a backtest ends at the end of its data.
"""

from __future__ import annotations

import asyncio
import itertools
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from adapters.binance import BinanceDataConfig, BinanceMarketData
from domain.enums import BookLevel
from domain.strings import StringTable
from replay.config import BacktestConfig, ConfigError, config_from_dict
from replay.nodes.record import VENUE, binance_config


class LiveFeed:
    """The Binance adapter on a thread of its own; :meth:`chunks` yields its records."""

    def __init__(self, config: BinanceDataConfig, clock: Callable[[], int] = time.time_ns,
                 poll_s: float = 0.05, not_before_ns: int = 0) -> None:
        self.config, self.clock, self.poll_s = config, clock, poll_s
        self._queue: queue.Queue[np.ndarray] = queue.Queue()
        self._last_ts = not_before_ns
        self._loop = asyncio.new_event_loop()
        self._stop_async = asyncio.Event()
        self.adapter = BinanceMarketData(config, self._queue.put, clock=self._now)
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="binance-feed", daemon=True)

    def _now(self) -> int:
        self._last_ts = max(self._last_ts, int(self.clock()))
        return self._last_ts

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.adapter.run(self._stop_async))
        except BaseException as exc:  # reported by chunks() on the node's thread
            self.error = exc
        finally:
            self._loop.close()

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stops the adapter and waits for its thread (bounded)."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop_async.set)
            self._thread.join(30)

    def chunks(self, stop: threading.Event) -> Iterator[np.ndarray]:
        """Yields the adapter's records until ``stop`` is set (then what it already sent)."""
        while True:
            if stop.is_set() or not self._thread.is_alive():
                self.close()
                break
            try:
                yield self._queue.get(timeout=self.poll_s)
            except queue.Empty:
                continue
        while not self._queue.empty():
            yield self._queue.get_nowait()
        if self.error is not None:
            raise self.error


def sandbox_config(raw: dict[str, Any], where: str = "sandbox config"
                   ) -> tuple[BacktestConfig, BinanceDataConfig]:
    """Splits a sandbox config into its backtest part and its feed (one symbol)."""
    values = dict(raw)
    feeds = {"binance": values.pop("binance", None)}
    if feeds["binance"] is None:
        raise ConfigError(f"{where}: no [binance] table")
    if values.get("data"):
        raise ConfigError(f"{where}: data must be empty (the sandbox's data is the live feed)")
    feed, _ = binance_config(feeds, StringTable())
    if len(feed.symbols) != 1:
        raise ConfigError(f"{where}: binance.symbols holds {len(feed.symbols)} symbols; the "
                          "sandbox runs exactly one")
    return config_from_dict(values, where), feed


class SandboxNode:
    """Runs strategies against the simulated exchange on live data (see the module contract)."""

    def __init__(self, raw: dict[str, Any], *, journal: str | None = None,
                 clock: Callable[[], int] = time.time_ns) -> None:
        import attrs

        config, self.feed_config = sandbox_config(raw)
        self.config = attrs.evolve(config, journal=journal or config.journal)
        self.clock = clock
        sym = self.feed_config.symbols[0]
        self.symbol = f"{sym.symbol}.{VENUE}"

    def run(self, stop: threading.Event, replayed: list[np.ndarray] | None = None) -> Any:
        """Runs until ``stop`` is set; returns the BacktestRun. ``replayed``: the journal's own
        market-data inputs, fed before the live records (a takeover's recovery re-executes
        them; the live feed's ``ts_init`` never goes below theirs)."""
        from replay.backtest import BacktestNode
        from replay.data_source import DataSource, make_instrument

        sym = self.feed_config.symbols[0]
        icfg = {i.id: i for i in self.config.instruments}.get(self.symbol)
        instrument = make_instrument(self.symbol, "binance", sym.price_precision,
                                      sym.size_precision, icfg)
        replayed = [r for r in (replayed or []) if len(r)]
        last_ts = int(replayed[-1]["ts_init"][-1]) if replayed else 0
        feed = LiveFeed(self.feed_config, self.clock, not_before_ns=last_ts)
        feed.start()
        try:
            chunks = itertools.chain(replayed, feed.chunks(stop))
            source = DataSource.from_records(instrument, chunks, BookLevel.L2,
                                             name=f"binance:{sym.symbol}")
            return BacktestNode(self.config, data=[source], journal_prefix="sandbox").run()
        finally:
            feed.close()
