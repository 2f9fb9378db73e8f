"""The backtest node: historical data through the same kernel, ring and journal as live trading.

Design contract:
- built from a :class:`replay.config.BacktestConfig` (Python or TOML), optionally with strategy
  objects; every data file is opened and its first chunk checked BEFORE the journal is created
  (:mod:`replay.backtest_data`), so bad input found there journals nothing;
- the run id is derived from the config hash and the seed (:class:`journal.runs.RunManifest`;
  the journal path and durability are not part of the hashed config), never random: the same
  backtest gives a byte-identical journal;
- the log of a run: RUN_STARTED + manifest, component ids, instruments, starting accounts,
  then the data merged by ``ts_init`` (stable for ties) through THE replay loop, the scheduled
  records due by the last ``ts_init``, what strategies emit on stop, and RUN_ENDED with the
  state hash; the journal is closed at the end;
- a failure mid-run (bad data later in a file) ends the run with RUN_ENDED reason FAULTED
  (its text journaled before it), closes the journal and re-raises;
- started on a journal whose last run crashed or was interrupted (the same config and seed),
  the node recovers it first (:mod:`replay.recovery`: the newest readable snapshot, the
  journal's own INPUT records after it re-executed and verified, RUN_RECOVERED, then the data
  files resume at the first data input the journal does not hold); on a journal whose last run
  of this config completed it returns that run's results rebuilt from the journal (nothing is
  appended); node snapshots are taken every ``snapshot_every`` records;
- SIGINT stops the run between publishes: RUN_ENDED reason INTERRUPTED and a snapshot at it,
  from which the same command resumes; a fault of the kernel (a strategy's exception) ends the
  run FAULTED with the exception's text journaled before RUN_ENDED and in the results;
- with ``live`` (:class:`LiveInputs`, the sandbox) the inputs are live, not the data files':
  the sources only name the instruments, the setup time is the live source's clock (a
  recovery's: the crashed run's), and after the journal's own inputs the live source feeds the
  driver until it stops;
- the node is :mod:`replay.nodes`: components by :func:`replay.nodes.assemble.assemble`,
  startup and shutdown records by :mod:`replay.nodes.lifecycle`, the loop by
  :class:`replay.nodes.driver.NodeDriver` (shared with re-execution and recovery).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import attrs
import numpy as np

from domain.enums import RecordFlag, RunEndReason
from engines.kernel import Kernel
from engines.strategy import Strategy
from journal.reader import JournalReader
from journal.runs import RunManifest
from journal.writer import JournalWriter
from replay.backtest_data import DataSource, open_source
from replay.backtest_run import BacktestRun, completed_run, final_balances
from replay.backtest_setup import publish_accounts, publish_instrument, resolve_venues
from replay.config import BacktestConfig, ConfigError, DataConfig, InstrumentConfig
from replay.gc_policy import collector_for_runs
from replay.loop import LoopStats
from replay.nodes.assemble import assemble
from replay.nodes.driver import NodeDriver
from replay.nodes.inputs import FileInputs, JournalInputs, data_inputs
from replay.nodes.lifecycle import end_run, fault_text, startup
from replay.progress import Progress
from replay.recovery import CompletedRunError, NodeStart
from replay.results import build_results, fees_used
from replay.strategy_registry import build_strategy

__all__ = ["BacktestNode", "BacktestRun", "hashed_config", "new_journal_dir"]

INPUT = int(RecordFlag.INPUT)


class LiveInputs(Protocol):
    """The live source of a node that is a backtest otherwise (the sandbox): it gives the run's
    start time and feeds the driver after the journal's own inputs (a recovery) are re-run."""

    def start_ns(self) -> int:
        """The time of a new run's setup records (the clock at the start)."""

    def feed(self, driver: NodeDriver, instrument_ids: dict[str, int]) -> None:
        """Feeds live inputs until the source stops (e.g. :meth:`NodeDriver.feed_live`)."""


#: records the journal may run behind the kernel in a backtest with durability ``none``
JOURNAL_LAG = 4096


def hashed_config(config: BacktestConfig, strategies: list[Strategy]) -> dict[str, Any]:
    """Returns the config as hashed into the run id: without where and how it is journaled, nor
    what the node keeps in memory (``run``: neither changes a record or the state hash)."""
    doc = attrs.asdict(config)
    doc.pop("journal", None)
    doc.pop("durability", None)
    doc.pop("run", None)
    for venue in doc["venues"]:  # only a live node's venue says it (older run ids unchanged)
        if not venue["external"]:
            del venue["external"]
    if strategies:
        doc["python_strategies"] = [f"{type(s).__module__}.{type(s).__qualname__}:{s.component_id}"
                                    for s in strategies]
    return doc


def new_journal_dir(root: str | Path, prefix: str, run_id: int) -> Path:
    """Returns ``root/<prefix>-<run id hex>``, suffixed ``-2``, ``-3``... when it exists."""
    base = Path(root) / f"{prefix}-{run_id:016x}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


class BacktestNode:
    """Runs one backtest; see the module contract."""

    def __init__(self, config: BacktestConfig, strategies: list[Strategy] | None = None,
                 progress: bool = False, journal_prefix: str = "backtest",
                 runs_root: str | Path = "runs", capacity: int = 1 << 16,
                 data: list[DataSource] | None = None,
                 open_data: Callable[[DataConfig, tuple[InstrumentConfig, ...]], DataSource]
                 = open_source, live: LiveInputs | None = None) -> None:
        #: live inputs instead of the data files' (``data`` then only names the instruments)
        self.live = live
        self.extra_data = list(data or [])
        #: opens a data file of the config (a parameter sweep passes its worker-local cache)
        self.open_data = open_data
        if not config.data and not self.extra_data:
            raise ConfigError("data: a backtest needs at least one data file, got none")
        if not config.strategies and not strategies:
            raise ConfigError("strategies: a backtest needs at least one strategy, got none")
        self.config = config
        self.extra_strategies = list(strategies or [])
        self.progress = progress
        self.journal_prefix = journal_prefix
        self.runs_root = runs_root
        self.capacity = capacity
        doc = hashed_config(config, self.extra_strategies)
        if self.extra_data:
            doc["python_data"] = [f"{d.path}:{d.symbol}" for d in self.extra_data]
        self.manifest = RunManifest(config=doc, seed=config.seed)

    @property
    def run_id(self) -> int:
        return self.manifest.run_id

    def _strategies(self) -> list[Strategy]:
        return [build_strategy(s.name, dict(s.params)) for s in self.config.strategies] + \
            self.extra_strategies

    def run(self) -> BacktestRun:
        """Runs the backtest to the end of its data; returns its results. On a journal whose
        last run crashed or was interrupted (same config), recovers it first
        (:mod:`replay.recovery`); on one whose run of this config completed, returns that
        run's results rebuilt from the journal (a report a kill interrupted can be finished)."""
        cfg = self.config
        sources = [self.open_data(d, cfg.instruments) for d in cfg.data] + self.extra_data
        instruments = _unique_instruments(sources)
        venues = resolve_venues(cfg.venues, [str(i.id.venue) for i in instruments.values()])
        strategies = self._strategies()
        path = Path(cfg.journal) if cfg.journal else new_journal_dir(
            self.runs_root, self.journal_prefix, self.run_id)
        bar_execution = bool(sources) and all(s.format == "bars" for s in sources)
        t0 = 0 if self.live is not None else \
            min(s.first_path_ts if bar_execution else s.first_ts_init for s in sources)
        levels = {v.name: max((s.book_level for s in sources
                               if str(s.instrument.id.venue) == v.name), default=1)
                  for v in venues}
        wall0 = time.perf_counter()
        writer = JournalWriter(path, durability=cfg.durability)
        try:
            start = NodeStart.open(writer, self.manifest)
        except CompletedRunError:
            writer.close()
            return completed_run(path, self.run_id, venues, tuple(instruments),
                                 time.perf_counter() - wall0,
                                 lambda cache, kernel: self._extra(cache, kernel, venues,
                                                                   instruments),
                                 cfg.days_per_year)
        except BaseException:
            writer.close()
            raise
        if self.live is not None:  # a recovery's setup records carry the crashed run's time
            t0 = int(JournalReader(writer.journal).record(start.first_seq)["ts_init"][0]) \
                if start.plan is not None else self.live.start_ns()
        kernel = Kernel(capacity=self.capacity, journal=start.journal, first_seq=start.kernel_seq,
                        journal_lag=0 if self.live is not None else
                        _journal_lag(cfg.durability, start, self.capacity))
        start.attach(kernel)
        first_seq = start.first_seq
        kernel.ctx.now_ns = t0  # setup records (component ids too) carry the first data time
        reason, fault = RunEndReason.CLEAN, ""
        start_equity = (t0, 0)
        try:
            sampler, recorder, cache = assemble(kernel, cfg, venues, levels, strategies)
            if start.from_snapshot:
                skip, start_equity = start.restore(kernel)
            else:
                skip, equity = 0, []

                def setup(k: Kernel) -> None:
                    for inst in instruments.values():
                        publish_instrument(k, inst, t0)
                    for venue in venues:
                        publish_accounts(k, venue, t0)
                    equity.append(sampler.equity_now())

                startup(kernel, self.manifest.to_records(
                    kernel.strings.intern(self.manifest.to_json())[0]), setup, t0)
                start_equity = (t0, equity[0])
            iids = {sym: kernel.strings.id_of(sym) for sym in instruments}
            snap = start.snapshotter(kernel, writer, cfg.snapshot_every,
                                     {"start_equity": list(start_equity)},
                                     cfg.snapshot_interval_ns)
            driver = NodeDriver(kernel, *start.run_at(kernel.last_seq + 1, (self.run_id, first_seq)),
                                on_publish=snap if snap.cadence else None, data_offset=skip,
                                may_stop=lambda: start.appending)
            tail = JournalInputs(JournalReader(writer.journal), kernel.last_seq + 1,
                                 start.plan.last_seq if start.plan is not None else 0)
            progress = Progress(self.progress)
            with collector_for_runs():
                try:
                    if self.live is not None:
                        driver.feed(tail.chunks())
                        start.check_caught_up(kernel)
                        if not driver.interrupted:
                            self.live.feed(driver, iids)
                    else:
                        inputs = FileInputs(sources, iids, bar_execution=bar_execution)
                        driver.feed(progress.wrap(_resume(tail, inputs, skip)))
                finally:
                    progress.close()
            if driver.interrupted:
                reason = RunEndReason.INTERRUPTED
            else:
                start.check_caught_up(kernel)
            end_ts = max(kernel.ctx.now_ns, t0)
            state_hash = end_run(kernel, reason, *start.run_id(self.run_id), end_ts)
            if reason == RunEndReason.INTERRUPTED:
                snap.take(driver.data)  # where the same command resumes
        except Exception as exc:
            if kernel.last_seq < first_seq or not start.appending:
                writer.close()
                raise
            reason, fault = RunEndReason.FAULTED, fault_text(exc)
            end_ts = max(kernel.ctx.now_ns, t0)
            state_hash = end_run(kernel, reason, *start.run_id(self.run_id), fault=fault)
            if kernel.faulted is None:  # bad input read mid-run: reported as such
                writer.close()
                raise
        except BaseException:
            writer.close()
            raise
        writer.close()
        wall = time.perf_counter() - wall0
        ts, eq = sampler.curve(end_ts, start_equity)
        last_seq = kernel.last_seq if kernel.faulted is None else writer.next_seq - 1
        currency = sampler.currency.code if sampler.currency is not None else None
        result = build_results(cache, kernel.strings, recorder, ts, eq, currency,
                               self._extra(cache, kernel, venues, instruments), cfg.days_per_year)
        return BacktestRun(
            journal=str(path), run_id=self.run_id, first_seq=first_seq, last_seq=last_seq,
            n_records=last_seq - first_seq + 1, n_inputs=driver.data if reason != RunEndReason.FAULTED
            else 0, state_hash=state_hash, wall_s=wall, result=result,
            instruments=tuple(instruments),
            inferred_instruments=tuple(s.symbol for s in sources if s.inferred),
            loop=driver.stats if reason != RunEndReason.FAULTED else LoopStats(),
            venue=venues[0], end_reason=reason.name, fault=fault,
            notes=start.plan.notes if start.plan is not None else ())


    def _extra(self, cache: Any, kernel: Kernel, venues: list[Any],
               instruments: dict[str, Any]) -> dict[str, Any]:
        """Returns the summary's node-level entries: final balances, the fees charged."""
        return {**final_balances(cache, kernel, venues),
                "fees": fees_used(instruments, self.config.instruments, venues)}


def _resume(tail: JournalInputs, files: FileInputs, skip: int) -> Iterator[np.ndarray]:
    """Yields the journal's inputs after the restart point, then the data files' records from
    the first one the journal does not hold (``skip`` data inputs before the tail)."""
    n = skip
    for chunk in tail.chunks():
        n += data_inputs(chunk)
        yield chunk
    yield from files.chunks(n)


def _journal_lag(durability: str, start: NodeStart, capacity: int) -> int:
    """Lets the journal take records in runs (up to 4096) when nothing waits on each record:
    durability ``none`` and no crashed run being verified record by record. The journal still
    holds every record at a commit, a snapshot, the run's end and a fault."""
    if durability != "none" or start.plan is not None:
        return 0
    return min(JOURNAL_LAG, capacity // 2)


def _unique_instruments(sources: list[DataSource]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in sources:
        known = out.get(s.symbol)
        if known is not None and known != s.instrument:
            raise ConfigError(
                f"{s.path}: instrument {s.symbol!r} inferred as {s.instrument!r}, but another "
                f"file gave {known!r}; configure it explicitly")
        out[s.symbol] = s.instrument
    return out
