"""Re-execution: feed a journal's INPUT records to a full kernel built from the run's manifest
and compare every record it produces with the journal's.

Design contract:
- the kernel is wired by :func:`assemble`, the same function the backtest node uses: same
  components in the same registration order (so interned ids match), configured from the
  manifest's config and seed; strategies are built from the manifest's names unless the caller
  passes strategy objects (a fixed strategy). A journal is untrusted: of its names only the
  built-ins build by default; a ``module:Class`` is imported only with ``trust_code``
  (``--trust-journal-code``), and never with the working directory added to ``sys.path``;
- the driver follows the node's script: RUN_STARTED + manifest, registration records, the
  setup inputs (symbols, instruments, accounts), start, THE replay loop over the other inputs,
  the timers due by the last ``ts_init``, stop, RUN_ENDED (recomputed: its state hash is
  checked like any other record);
- every produced record is compared byte for byte (:class:`replay.verifying.VerifyingJournal`);
  the first difference stops the run and is reported with both records decoded and the cause
  chain that led to it; with ``out`` the produced records are written to a new journal instead
  (re-execution with changed code, to diff);
- book levels of the simulated venues (inferred from the data files by the node) are inferred
  from the BOOK_DELTA inputs when the config says ``auto``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from domain.codec import as_kind, encode
from domain.enums import BookLevel, RecordFlag, RunEndReason
from domain.kinds import Kind
from engines.data_engine import DataEngine
from engines.execution import ExecutionEngine
from engines.kernel import Kernel
from engines.liquidator import Liquidator
from engines.portfolio import Portfolio
from engines.risk import RiskEngine
from engines.strategy import Strategy
from journal.reader import JournalReader
from journal.runs import RunInfo, RunManifest, scan_runs
from journal.store import Journal
from replay.backtest_setup import account_name, make_exchange, register_execution, register_state
from replay.config import BacktestConfig, VenueConfig
from replay.gc_policy import collector_for_runs
from replay.loop import run, run_until
from replay.rebuild import Lineage, ReplayError, manifest_config, run_venues, setup_symbols
from replay.trace import cause_chain, record_dict
from replay.verifying import DivergenceError, VerifyingJournal

INPUT = int(RecordFlag.INPUT)
_SETUP_KINDS = (int(Kind.STRING), int(Kind.INSTRUMENT), int(Kind.ACCOUNT_STATE))
_IMPORT_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")


class ReexecuteError(ReplayError):
    """A run cannot be re-executed (strategies given in code, a name that is no import path)."""


def check_strategy_name(name: str) -> str:
    """Returns ``name`` when it is a built-in strategy or a ``module:Class`` import path."""
    from replay.strategy_registry import BUILTIN

    if name in BUILTIN or _IMPORT_PATH.match(name):
        return name
    raise ReexecuteError(f"strategy {name!r} in the manifest is neither a built-in "
                         f"({sorted(BUILTIN)}) nor a module:Class import path; refusing it")


def manifest_strategies(manifest: RunManifest, config: BacktestConfig,
                        trust_code: bool = False) -> list[Strategy]:
    """Builds the run's strategies from the manifest's names: built-ins only, unless
    ``trust_code`` lets it import the ``module:Class`` the journal names."""
    from replay.strategy_registry import journal_strategy

    if manifest.config.get("python_strategies"):
        raise ReexecuteError(
            f"run {manifest.run_id:016x} used strategy objects given in code "
            f"({manifest.config['python_strategies']}); pass them as strategies=")
    where = f"run {manifest.run_id:016x}'s manifest"
    return [journal_strategy(check_strategy_name(s.name), dict(s.params), trust_code, where)
            for s in config.strategies]


def assemble(kernel: Kernel, config: BacktestConfig, venues: list[VenueConfig],
             levels: dict[str, int], strategies: list[Strategy]) -> tuple[Any, Any, Any]:
    """Registers a backtest kernel's components in their defined order; returns (equity
    sampler, run recorder, cache). ``levels`` maps venue name -> book level of its exchange."""
    from replay.backtest import _risk_config

    sampler, recorder, cache = register_state(kernel, venues[0], config.equity_interval_ns)
    kernel.register(DataEngine())
    execution = ExecutionEngine()
    kernel.register(RiskEngine(execution, _risk_config(config.risk, venues)))
    register_execution(kernel, execution)
    for venue in venues:
        kernel.register(make_exchange(venue, BookLevel(levels.get(venue.name, 1)), config.seed))
    kernel.ctx.portfolio = Portfolio(cache)
    for strategy in strategies:
        kernel.register(strategy)
    for venue in venues:
        if venue.liquidate_on_margin_call:
            kernel.register(Liquidator(account_name(venue), venue.name))
    return sampler, recorder, cache


def book_levels(inputs: np.ndarray, symbols: dict[int, str]) -> dict[str, int]:
    """Returns venue -> highest BOOK_DELTA level among the inputs (L1 when there is none)."""
    out: dict[str, int] = {}
    deltas = inputs[inputs["kind"] == Kind.BOOK_DELTA]
    if len(deltas):
        typed = as_kind(deltas, Kind.BOOK_DELTA)
        pairs = np.unique(np.stack([typed["instrument_id"].astype(np.int64),
                                    typed["level"].astype(np.int64)], axis=1), axis=0)
        for iid, level in pairs.tolist():
            venue = symbols.get(iid, "").rpartition(".")[2]
            out[venue] = max(out.get(venue, 1), level)
    return out


@attrs.frozen
class ReexecuteResult:
    """The outcome of a re-execution: ok, or the first divergence with its context."""

    ok: bool
    path: str
    n_records: int
    n_inputs: int
    state_hash: int
    seq: int = 0
    why: str = ""
    journaled: dict[str, Any] | None = None
    produced: dict[str, Any] | None = None
    chain: tuple[dict[str, Any], ...] = ()

    @property
    def first_divergence(self) -> int:
        return self.seq

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "path": self.path, "n_records": self.n_records,
                "n_inputs": self.n_inputs, "state_hash": f"{self.state_hash:016x}",
                "first_divergence": None if self.ok else {
                    "seq": self.seq, "why": self.why, "journaled": self.journaled,
                    "produced": self.produced, "cause_chain": list(self.chain)}}

    def format(self) -> str:
        if self.ok:
            return (f"re-execution of {self.path}: {self.n_inputs} inputs regenerated all "
                    f"{self.n_records} records (state_hash {self.state_hash:016x})")
        lines = [f"re-execution of {self.path} diverges at seq {self.seq}: {self.why}",
                 f"  journal:  {self.journaled['text'] if self.journaled else '(no record)'}",
                 f"  produced: {self.produced['text'] if self.produced else '(no record)'}",
                 "  cause chain (nearest first):"]
        lines += [f"    {r['text']}" for r in self.chain]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def lineages(runs: list[RunInfo]) -> list[Lineage]:
    """Groups runs into lineages: a run and the runs that continue it after recovery."""
    out: list[Lineage] = []
    for r in runs:
        if out and out[-1].run is not None and r.parent_run_id == out[-1].run.run_id \
                and out[-1].run.end_state.value == "RECOVERED":
            out[-1] = Lineage(out[-1].root, r)
        else:
            out.append(Lineage(r, r))
    return out


def reexecute(path: str | Path | Journal, strategies: list[Strategy] | None = None,
              out: str | Path | None = None, capacity: int = 1 << 16,
              trust_code: bool = False) -> ReexecuteResult:
    """Re-executes every run of the journal at ``path`` (an open :class:`Journal` too; see the
    module contract). Without ``strategies`` the manifest's are built: built-ins only, unless
    ``trust_code`` allows importing the code the journal names."""
    if isinstance(path, Journal):
        return _reexecute(path, str(path.path), strategies, out, capacity, trust_code)
    with Journal.open(path) as journal:
        return _reexecute(journal, str(path), strategies, out, capacity, trust_code)


def _reexecute(journal: Journal, path: str, strategies: list[Strategy] | None,
               out: str | Path | None, capacity: int, trust_code: bool) -> ReexecuteResult:
    reader = JournalReader(journal)
    runs = scan_runs(journal)
    if not runs:
        raise ReexecuteError(f"{path}: the journal holds no run (no RUN_STARTED): "
                             "nothing says how to build its kernel")
    writer = None
    if out is not None:
        from journal.writer import JournalWriter

        writer = JournalWriter(out, durability="none")
    total = Totals()
    try:
        for lin in lineages(runs):
            _reexecute_lineage(reader, lin, strategies, writer, capacity, total, trust_code)
    except DivergenceError as exc:
        return _divergence(path, reader, exc, total)
    finally:
        if writer is not None:
            writer.close()
    return ReexecuteResult(True, path, total.n_records, total.n_inputs, total.state_hash)


@attrs.define
class Totals:
    n_records: int = 0
    n_inputs: int = 0
    state_hash: int = 0


def _reexecute_lineage(reader: JournalReader, lin: Lineage, strategies: list[Strategy] | None,
                       writer: Any, capacity: int, total: Totals, trust_code: bool) -> None:
    assert lin.root is not None and lin.run is not None
    manifest = lin.manifest
    if manifest is None:
        raise ReexecuteError(f"run {lin.root.run_id:016x} at seq {lin.root.first_seq} has no "
                             "readable manifest")
    config = manifest_config(manifest)
    strats = list(strategies) if strategies is not None else \
        manifest_strategies(manifest, config, trust_code)
    first, last = lin.first_seq, lin.run.last_seq
    records = reader.records_between(first, last)
    inputs = records[(records["flags"] & INPUT) != 0]
    ended = int(records["kind"][-1]) == Kind.RUN_ENDED
    journal: Any = writer if writer is not None else VerifyingJournal(
        reader, last, allow_extra=not ended, start_seq=first)
    kernel = Kernel(capacity=capacity, journal=journal, first_seq=first)
    t0 = int(records["ts_init"][0])
    kernel.ctx.now_ns = t0
    venues = run_venues(reader, lin, config)
    assemble(kernel, config, venues, book_levels(inputs, setup_symbols(reader, first)), strats)
    start = as_kind(records[:1], Kind.RUN_STARTED)[0]
    manifest_id = int(start["manifest_id"])
    is_manifest = (inputs["kind"] == Kind.STRING) & (
        as_kind(inputs, Kind.STRING)["string_id"] == manifest_id)
    lead = is_manifest[1:]
    n_m = 1 + (len(lead) if lead.all() else int(np.argmin(lead)))
    kernel.publish(inputs[:n_m])
    kernel.publish_setup()
    j = n_m
    while j < len(inputs) and int(inputs["kind"][j]) in _SETUP_KINDS:
        j += 1
    if j > n_m:
        kernel.publish(inputs[n_m:j])
    kernel.start()
    data = inputs[j:-1] if ended else inputs[j:]
    with collector_for_runs():
        run(kernel, (data[k : k + 65536] for k in range(0, len(data), 65536)))
    if ended:
        run_until(kernel, max(kernel.ctx.now_ns, t0))
        kernel.stop()
        ts = kernel.ctx.now_ns
        kernel.publish(encode(Kind.RUN_ENDED, ts_event=ts, ts_init=ts, flags=INPUT,
                              run_id=lin.run.run_id,
                              n_records=kernel.last_seq - lin.run.first_seq + 2,
                              state_hash=kernel.state_hash(), reason=int(RunEndReason.CLEAN)))
    if writer is None and kernel.last_seq < last:
        rec = reader.record(kernel.last_seq + 1)
        raise DivergenceError(kernel.last_seq + 1, rec, None,
                              "the journal holds a record the re-execution did not produce")
    total.n_records += kernel.last_seq - first + 1
    total.n_inputs += len(inputs)
    total.state_hash = kernel.state_hash()


def _divergence(path: str, reader: JournalReader, exc: DivergenceError,
                total: Totals) -> ReexecuteResult:
    source = exc.produced if exc.produced is not None else exc.journaled
    chain: list[dict[str, Any]] = []
    if source is not None:
        cause = int(source["cause"][0])
        if cause and cause < exc.seq:
            chain = [record_dict(r) for r in [reader.record(cause), *cause_chain(reader, cause)]
                     if r is not None]
    return ReexecuteResult(
        False, path, total.n_records, total.n_inputs, total.state_hash, exc.seq, exc.why,
        None if exc.journaled is None else record_dict(exc.journaled),
        None if exc.produced is None else record_dict(exc.produced), tuple(chain))


def reexecute_check(path: str | Path, trust_code: bool = False) -> ReexecuteResult:
    """Re-executes the journal with the run's own strategies (the toolkit's ``reexecution``)."""
    return reexecute(path, trust_code=trust_code)
