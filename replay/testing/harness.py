"""A trading kernel for tests, wired as the backtest node wires it, fed stream by stream.

Design contract:
- components register in the backtest node's order (:mod:`replay.backtest_setup`): state
  (equity sampler, run recorder, cache), data engine, risk engine, execution engine, one
  simulated exchange for the instrument's venue, then the strategies; the instrument and the
  venue's starting account are published before ``start``;
- every record the kernel publishes is kept (an in-memory tap in the journal's place, or a
  real :class:`~journal.writer.JournalWriter` when ``journal_path`` is given), so the log can be
  checked with :func:`replay.testing.check.check` or saved with ``write_journal``;
- ``feed`` takes a ``Stream`` or records from the strategies of this package (their setup
  records are dropped, their instrument id restamped) and runs them through THE replay loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from domain.enums import BookLevel
from domain.instruments import Instrument
from domain.kinds import RECORD_DTYPE, Kind
from engines.data_engine import DataEngine
from engines.execution import ExecutionEngine
from engines.kernel import Kernel
from engines.portfolio import Portfolio
from engines.risk import RiskEngine
from engines.risk_checks import RiskConfig
from engines.strategy import Strategy
from replay.backtest_setup import (
    make_exchange,
    publish_accounts,
    publish_instrument,
    register_execution,
    register_state,
)
from replay.config import RunConfig, VenueConfig
from replay.loop import run, run_until
from replay.testing.streams import T0_NS, concat

_IID_VIEW = np.dtype({"names": ["instrument_id"], "formats": ["<u4"], "offsets": [40],
                      "itemsize": 128})
_SETUP_KINDS = (int(Kind.STRING), int(Kind.INSTRUMENT))


class RecordTap:
    """Stands in for the journal: keeps a copy of every record the kernel publishes."""

    def __init__(self) -> None:
        self.batches: list[np.ndarray] = []
        self.taken = 0

    def on_batch(self, batch: np.ndarray) -> None:
        self.batches.append(np.array(batch, copy=True))

    def flush(self) -> int:
        return 0

    def log(self) -> np.ndarray:
        """Returns every record so far, in seq order."""
        return concat(self.batches)

    def take_new(self) -> np.ndarray:
        """Returns the records published since the previous call."""
        new = concat(self.batches[self.taken:])
        self.taken = len(self.batches)
        return new


class TradingHarness:
    """Kernel + cache + data / risk / execution engines + a simulated exchange + strategies.

    ``memory``: what the cache and the results recorder keep; by default everything (a test
    inspects every order after the run, where a node's default ``[run]`` bounds would have let
    the oldest closed orders go: they stay in the journal, not in the cache).
    """

    def __init__(self, instrument: Instrument, strategies: Sequence[Strategy] = (), *,
                 venue: VenueConfig | None = None, book_level: BookLevel = BookLevel.L1,
                 risk: RiskConfig | None = None, seed: int = 0, start_ns: int = T0_NS,
                 journal_path: str | Path | None = None,
                 memory: RunConfig | None = None) -> None:
        venue = venue or VenueConfig(name=str(instrument.id.venue))
        self.instrument = instrument
        self.tap = RecordTap()
        self.writer = None
        if journal_path is not None:
            from journal.writer import JournalWriter

            self.writer = JournalWriter(journal_path, durability="none")
        journal = self.tap if self.writer is None else _Both(self.tap, self.writer)
        kernel = self.kernel = Kernel(capacity=1 << 14, journal=journal)
        kernel.ctx.now_ns = start_ns
        memory = memory if memory is not None else RunConfig(order_history=None, keep_records=None)
        _, _, self.cache = register_state(kernel, venue, 60_000_000_000, memory)
        kernel.register(DataEngine())
        execution = ExecutionEngine()
        kernel.register(RiskEngine(execution, risk or RiskConfig()))
        register_execution(kernel, execution)
        kernel.register(make_exchange(venue, book_level, seed))
        kernel.ctx.portfolio = Portfolio(self.cache)
        self.strategies = list(strategies)
        for strategy in self.strategies:
            kernel.register(strategy)
        kernel.publish_setup()
        self.instrument_id = publish_instrument(kernel, instrument, start_ns)
        publish_accounts(kernel, venue, start_ns)
        kernel.start()
        self.last_ts = start_ns

    def feed(self, stream: Any) -> np.ndarray:
        """Runs the stream's market data through the replay loop; returns the records it
        published (inputs and everything they caused), in seq order."""
        records = np.ascontiguousarray(getattr(stream, "records", stream)).view(RECORD_DTYPE)
        data = records[~np.isin(records["kind"], _SETUP_KINDS)].copy()
        if len(data):
            data.view(_IID_VIEW)["instrument_id"] = self.instrument_id
            data["ts_init"] = np.maximum(data["ts_init"], self.last_ts)
            data["ts_event"] = data["ts_init"]
            run(self.kernel, [data])
            self.last_ts = int(data["ts_init"][-1])
        return self.tap.take_new()

    def finish(self) -> np.ndarray:
        """Publishes the timers due by the last data time, stops the kernel (strategies first);
        returns the records this published. Closes the journal writer, if any."""
        run_until(self.kernel, self.last_ts)
        self.kernel.stop()
        if self.writer is not None:
            self.writer.close()
        return self.tap.take_new()

    def log(self) -> np.ndarray:
        """Every record the kernel published, from seq 1."""
        return self.tap.log()


class _Both:
    def __init__(self, tap: RecordTap, writer: Any) -> None:
        self.tap, self.writer = tap, writer

    def on_batch(self, batch: np.ndarray) -> None:
        self.writer.on_batch(batch)
        self.tap.on_batch(batch)

    def flush(self) -> int:
        return self.writer.flush()
