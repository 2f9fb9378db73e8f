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
- a failure mid-run (bad data later in a file) ends the run with RUN_ENDED reason FAULTED when
  the kernel is intact (crash-only otherwise), closes the journal and re-raises; results are
  only produced by a run that completed;
- started on a journal whose last run crashed (the same config and seed), the node recovers it
  first (:mod:`replay.recovery`: newest snapshot, verified re-execution of the tail,
  RUN_RECOVERED, then the data resumes at the first input not journaled); a journal whose last
  run of this config completed is refused; node snapshots are taken every ``snapshot_every``
  records. The components are wired by :func:`replay.reexecute.assemble` (shared with
  re-execution, so both build the same kernel).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from domain.codec import encode
from domain.enums import RecordFlag, RunEndReason
from domain.kinds import Kind
from engines.exchange.bar_path import bar_quote_stream
from engines.kernel import Kernel
from engines.risk_checks import RiskConfig
from engines.strategy import Strategy
from journal.runs import RunManifest
from journal.writer import JournalWriter
from replay.backtest_data import DataSource, open_source
from replay.backtest_setup import (
    publish_accounts,
    publish_instrument,
    resolve_venues,
)
from replay.config import BacktestConfig, ConfigError, DataConfig, InstrumentConfig, VenueConfig
from replay.gc_policy import collector_for_runs
from replay.loop import LoopStats, run, run_until
from replay.progress import Progress
from replay.recovery import NodeStart, skip_inputs
from replay.reexecute import assemble
from replay.results import BacktestResult, build_results, fees_used
from replay.sources import merge
from replay.strategy_registry import build_strategy

INPUT = int(RecordFlag.INPUT)
#: records the journal may run behind the kernel in a backtest with durability ``none``
JOURNAL_LAG = 4096


@attrs.frozen
class BacktestRun:
    """What a completed backtest produced."""

    journal: str
    run_id: int
    first_seq: int
    last_seq: int
    n_records: int
    n_inputs: int
    state_hash: int
    wall_s: float
    result: BacktestResult
    instruments: tuple[str, ...]
    inferred_instruments: tuple[str, ...]
    loop: LoopStats
    #: The venue whose account the equity curve follows (the first venue, by name).
    venue: VenueConfig

    @property
    def records_per_s(self) -> float:
        return self.n_records / self.wall_s if self.wall_s > 0 else 0.0

    def to_json_dict(self) -> dict[str, Any]:
        """Returns the ``--json`` object of ``ringbus backtest``."""
        s = self.result.summary
        return {
            "journal": self.journal, "run_id": f"{self.run_id:016x}", "last_seq": self.last_seq,
            "n_records": self.n_records, "n_orders": s["n_orders"], "n_fills": s["n_fills"],
            "n_positions": s["n_positions"], "realized_pnl": s["realized_pnl"],
            "open_commissions": s["open_commissions"], "commissions": s["commissions"],
            "final_balances": s["final_balances"], "currency": s["currency"],
            "total_pnl": s["total_pnl"], "return_pct": s["return_pct"], "sharpe": s["sharpe"],
            "sortino": s["sortino"], "max_drawdown_pct": s["max_drawdown_pct"],
            "n_denied": s["n_denied"], "denied_reasons": s["denied_reasons"],
            "n_rejected": s["n_rejected"], "rejected_reasons": s["rejected_reasons"],
            "state_hash": f"{self.state_hash:016x}", "wall_s": round(self.wall_s, 6),
            "records_per_s": round(self.records_per_s),
        }


def hashed_config(config: BacktestConfig, strategies: list[Strategy]) -> dict[str, Any]:
    """Returns the config as hashed into the run id: without where and how it is journaled."""
    doc = attrs.asdict(config)
    doc.pop("journal", None)
    doc.pop("durability", None)
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
                 = open_source) -> None:
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
        last run crashed (same config), recovers it first (:mod:`replay.recovery`)."""
        cfg = self.config
        sources = [self.open_data(d, cfg.instruments) for d in cfg.data] + self.extra_data
        instruments = _unique_instruments(sources)
        venues = resolve_venues(cfg.venues, [str(i.id.venue) for i in instruments.values()])
        strategies = self._strategies()
        path = Path(cfg.journal) if cfg.journal else new_journal_dir(
            self.runs_root, self.journal_prefix, self.run_id)
        bar_execution = bool(sources) and all(s.format == "bars" for s in sources)
        t0 = min(s.first_path_ts if bar_execution else s.first_ts_init for s in sources)
        levels = {v.name: max((s.book_level for s in sources
                               if str(s.instrument.id.venue) == v.name), default=1)
                  for v in venues}
        wall0 = time.perf_counter()
        writer = JournalWriter(path, durability=cfg.durability)
        try:
            start = NodeStart.open(writer, self.manifest)
        except BaseException:
            writer.close()
            raise
        kernel = Kernel(capacity=self.capacity, journal=start.journal, first_seq=start.kernel_seq,
                        journal_lag=_journal_lag(cfg.durability, start, self.capacity))
        start.attach(kernel)
        first_seq = start.first_seq
        kernel.ctx.now_ns = t0  # setup records (component ids too) carry the first data time
        try:
            sampler, recorder, cache = assemble(kernel, cfg, venues, levels, strategies)
            if start.from_snapshot:
                skip, start_equity = start.restore(kernel)
                iids = {sym: kernel.strings.id_of(sym) for sym in instruments}
            else:
                skip = 0
                manifest = self.manifest.to_records(
                    kernel.strings.intern(self.manifest.to_json())[0])
                manifest["ts_event"] = manifest["ts_init"] = t0
                manifest["flags"] = INPUT
                kernel.publish(manifest)
                kernel.publish_setup()
                iids = {sym: publish_instrument(kernel, inst, t0)
                        for sym, inst in instruments.items()}
                for venue in venues:
                    publish_accounts(kernel, venue, t0)
                start_equity = (t0, sampler.equity_now())
                kernel.start()
            snap = start.snapshotter(kernel, writer, cfg.snapshot_every,
                                     {"start_equity": list(start_equity)},
                                     cfg.snapshot_interval_ns, skip)
            progress = Progress(self.progress)
            stats = LoopStats()
            with collector_for_runs():
                try:
                    merged = merge([s.chunks(iids[s.symbol]) for s in sources])
                    if bar_execution:
                        merged = bar_quote_stream(merged)  # bar-driven execution
                    chunks = skip_inputs(merged, skip)
                    run(kernel, progress.wrap(chunks), stats, on_publish=snap)
                finally:
                    progress.close()
                end_ts = max(kernel.ctx.now_ns, t0)
                run_until(kernel, end_ts, stats)
                kernel.stop()
            state_hash = kernel.state_hash()
            start.check_caught_up(kernel)
            self._end(kernel, RunEndReason.CLEAN, state_hash, start)
        except BaseException:
            if kernel.faulted is None and kernel.last_seq >= first_seq and start.appending:
                self._end(kernel, RunEndReason.FAULTED, kernel.state_hash(), start)
            writer.close()
            raise
        writer.close()
        wall = time.perf_counter() - wall0
        ts, eq = sampler.curve(end_ts, start_equity)
        last_seq = kernel.last_seq
        currency = sampler.currency.code if sampler.currency is not None else None
        result = build_results(cache, kernel.strings, recorder, ts, eq, currency, {
            **_extra(cache, kernel, venues),
            "fees": fees_used(instruments, cfg.instruments, venues)}, cfg.days_per_year)
        return BacktestRun(
            journal=str(path), run_id=self.run_id, first_seq=first_seq, last_seq=last_seq,
            n_records=last_seq - first_seq + 1, n_inputs=stats.inputs + skip,
            state_hash=state_hash, wall_s=wall, result=result, instruments=tuple(instruments),
            inferred_instruments=tuple(s.symbol for s in sources if s.inferred), loop=stats,
            venue=venues[0])

    def _end(self, kernel: Kernel, reason: RunEndReason, state_hash: int,
             start: NodeStart) -> None:
        run_id, first_seq = start.run_id(self.run_id)
        n = kernel.last_seq - first_seq + 2
        ts = kernel.ctx.now_ns
        kernel.publish(encode(Kind.RUN_ENDED, ts_event=ts, ts_init=ts, flags=INPUT,
                              run_id=run_id, n_records=n, state_hash=state_hash,
                              reason=int(reason)))


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


def _risk_config(values: dict[str, Any], venues: list[VenueConfig] = ()) -> RiskConfig:
    """Returns the risk engine's config: the ``[risk]`` table, plus the venues' short-selling
    instruments (``short_selling``)."""
    values = dict(values)
    shortable = sorted({s for v in venues for s in v.short_selling})
    if shortable:
        values["short_selling"] = frozenset([*values.get("short_selling", ()), *shortable])
    if isinstance(values.get("max_submit_rate"), list):
        values["max_submit_rate"] = tuple(values["max_submit_rate"])
    try:
        return RiskConfig(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"risk: {exc}") from None


def _extra(cache: Any, kernel: Kernel, venues: list[Any]) -> dict[str, Any]:
    from replay.backtest_setup import account_name
    from replay.results import money

    balances: dict[str, dict[str, str]] = {}
    for venue in venues:
        aid = kernel.strings.id_of(account_name(venue))
        account = cache.account(aid) if aid is not None else None
        if account is None:
            continue
        balances[account_name(venue)] = {
            f"{c.code}": money(account.total_raw(c), c.packed) for c in account.currencies()}
    return {"final_balances": balances}
