"""The sandbox node (``ringbus sandbox``): live market data into the backtest's simulated
exchange, strategies, fill / fee / latency models and journal.

Design contract:
- the config is a backtest config (venues, instruments, strategies, risk, seed, journal,
  durability) plus a ``[binance]`` feeds table (as ``ringbus record``) of one or more symbols
  and an optional ``[sandbox]`` table (``heartbeat_interval_s``, default 0: none); ``data``
  must be empty: the data is the live stream;
- every symbol of the table comes over ONE adapter connection (Binance's combined stream);
  each symbol's book is synced and resynced on its own (:class:`adapters.binance.BookSync`);
- the node is :class:`replay.backtest.BacktestNode` (same setup, simulated exchange, results)
  whose inputs are live (:class:`SandboxInputs`): the adapter (on its own thread) and the
  heartbeat push into a :class:`replay.nodes.inputs.LiveInbox`, which stamps ``ts_init`` from
  the clock; the node thread runs :meth:`replay.nodes.driver.NodeDriver.feed_live`, as the
  live node does: each take's records, then the timers due by the take's horizon, journaled
  as TIMER records even when no input arrives (timers run on the wall clock);
- so the journal re-executes like a backtest journal (``ringbus verify --reexecute``), and
  the same recorded stream through a backtest (``ringbus backtest --data SANDBOX_JOURNAL``)
  gives the same orders and fills per input;
- with ``heartbeat_interval_s`` > 0 a HEARTBEAT input is journaled every interval (proof of
  life for ``ringbus standby``'s heartbeat timeout);
- the run ends (RUN_ENDED, CLEAN) when ``stop`` is set: the adapter and heartbeat stop, the
  inbox's last records and the timers due by its final horizon are processed; an adapter
  that gives up (``max_reconnects``) ends the run FAULTED and its error is raised;
- on a journal whose sandbox run crashed (a standby's takeover) the node re-executes the
  journal's inputs first (the backtest node's recovery); live stamps never go below them.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np

from adapters.binance import BinanceDataConfig, BinanceMarketData
from domain.enums import BookLevel
from domain.kinds import RECORD_DTYPE
from domain.strings import StringTable
from replay.config import BacktestConfig, ConfigError, config_from_dict
from replay.data_source import DataSource, make_instrument
from replay.nodes.driver import NodeDriver
from replay.nodes.heartbeat import Heartbeat
from replay.nodes.inputs import LiveInbox
from replay.nodes.record import VENUE, binance_config

_SANDBOX_KEYS = {"heartbeat_interval_s"}


@attrs.frozen
class SandboxOptions:
    """The ``[sandbox]`` table."""

    heartbeat_interval_s: float = 0.0


class LiveFeed:
    """The Binance adapter on a thread of its own, pushing into ``sink``."""

    def __init__(self, config: BinanceDataConfig, sink: Callable[[np.ndarray], None],
                 clock: Callable[[], int] = time.time_ns) -> None:
        self._loop = asyncio.new_event_loop()
        self._stop_async = asyncio.Event()
        self.adapter = BinanceMarketData(config, sink, clock=clock)
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="binance-feed", daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.adapter.run(self._stop_async))
        except BaseException as exc:  # raised by the node thread at the run's end
            self.error = exc
        finally:
            self._loop.close()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stops the adapter and waits for its thread (bounded)."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop_async.set)
            self._thread.join(30)


class _Clock:
    """A function of ns as a :class:`replay.nodes.inputs.Clock`."""

    def __init__(self, fn: Callable[[], int]) -> None:
        self.fn = fn

    def now_ns(self) -> int:
        return int(self.fn())


class _SandboxInbox(LiveInbox):
    """The live inbox, closed (after its producers stop) once ``stop`` is set or the adapter
    died."""

    def __init__(self, clock: _Clock, stop: threading.Event) -> None:
        super().__init__(clock)
        self.stop = stop
        self.feed: LiveFeed | None = None
        self.beat: Heartbeat | None = None

    def take(self, timeout_s: float) -> tuple[np.ndarray, int] | None:
        assert self.feed is not None
        if self.stop.is_set() or not self.feed.alive:
            self.feed.close()
            if self.beat is not None:
                self.beat.close()
            self.close()
        return super().take(timeout_s)


class SandboxInputs:
    """The live inputs of a sandbox run (:class:`replay.backtest.LiveInputs`)."""

    def __init__(self, feed_config: BinanceDataConfig, options: SandboxOptions,
                 stop: threading.Event, clock: Callable[[], int]) -> None:
        self.feed_config, self.options, self.stop = feed_config, options, stop
        self.clock = _Clock(clock)

    def start_ns(self) -> int:
        return self.clock.now_ns()

    def feed(self, driver: NodeDriver, instrument_ids: dict[str, int]) -> None:
        """Runs the adapter and heartbeat into a live inbox through ``driver.feed_live``."""
        # the adapter stamps the kernel's instrument ids
        symbols = tuple(attrs.evolve(s, instrument_id=instrument_ids[f"{s.symbol}.{VENUE}"])
                        for s in self.feed_config.symbols)
        inbox = _SandboxInbox(self.clock, self.stop)
        inbox.not_before(driver.kernel.ctx.now_ns)
        feed = inbox.feed = LiveFeed(attrs.evolve(self.feed_config, symbols=symbols),
                                     inbox.push, self.clock.now_ns)
        interval = self.options.heartbeat_interval_s
        beat = inbox.beat = Heartbeat(inbox.push, interval) if interval > 0 else None
        feed.start()
        if beat is not None:
            beat.start()
        try:
            driver.feed_live(inbox)
        finally:
            feed.close()
            if beat is not None:
                beat.close()
        if feed.error is not None:
            raise feed.error


def sandbox_config(raw: dict[str, Any], where: str = "sandbox config"
                   ) -> tuple[BacktestConfig, BinanceDataConfig, SandboxOptions]:
    """Splits a sandbox config into its backtest part, its feed and its options."""
    values = dict(raw)
    feeds = {"binance": values.pop("binance", None)}
    table = dict(values.pop("sandbox", None) or {})
    if feeds["binance"] is None:
        raise ConfigError(f"{where}: no [binance] table")
    if values.get("data"):
        raise ConfigError(f"{where}: data must be empty (the sandbox's data is the live feed)")
    unknown = set(table) - _SANDBOX_KEYS
    if unknown:
        raise ConfigError(f"{where}: [sandbox] has unknown keys {sorted(unknown)} "
                          f"(known: {sorted(_SANDBOX_KEYS)})")
    interval = table.get("heartbeat_interval_s", 0.0)
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval < 0:
        raise ConfigError(f"{where}: sandbox.heartbeat_interval_s must be a number >= 0, "
                          f"got {interval!r}")
    feed, _ = binance_config(feeds, StringTable())
    names = [s.symbol for s in feed.symbols]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: binance.symbols names a symbol twice: {names}")
    return config_from_dict(values, where), feed, SandboxOptions(float(interval))


class SandboxNode:
    """Runs strategies against the simulated exchange on live data (see the module contract)."""

    def __init__(self, raw: dict[str, Any], *, journal: str | None = None,
                 clock: Callable[[], int] = time.time_ns) -> None:
        config, self.feed_config, self.options = sandbox_config(raw)
        self.config = attrs.evolve(config, journal=journal or config.journal)
        self.clock = clock
        self.symbols = [f"{s.symbol}.{VENUE}" for s in self.feed_config.symbols]

    def _sources(self) -> list[DataSource]:
        """One source per symbol: its instrument only (the records come from the feed)."""
        icfgs = {i.id: i for i in self.config.instruments}
        empty = np.zeros(0, dtype=RECORD_DTYPE)
        return [DataSource(f"binance:{s.symbol}", "records", sym,
                           make_instrument(sym, "binance", s.price_precision, s.size_precision,
                                           icfgs.get(sym)),
                           BookLevel.L2, False, empty, iter(()))
                for s, sym in zip(self.feed_config.symbols, self.symbols, strict=True)]

    def run(self, stop: threading.Event) -> Any:
        """Runs until ``stop`` is set; returns the BacktestRun."""
        from replay.backtest import BacktestNode

        live = SandboxInputs(self.feed_config, self.options, stop, self.clock)
        return BacktestNode(self.config, data=self._sources(), journal_prefix="sandbox",
                            live=live).run()
