"""Re-execution: feed a journal's INPUT records to a full kernel built from the run's manifest
and compare every record it produces with the journal's.

Design contract:
- the kernel is wired by :func:`replay.nodes.assemble.assemble`, as every node's: same
  components in the same registration order (so interned ids match), configured from the
  manifest's config and seed; strategies are built from the manifest's names unless the caller
  passes strategy objects (a fixed strategy). A journal is untrusted: of its names only the
  built-ins build by default; a ``module:Class`` is imported only with ``trust_code``
  (``--trust-journal-code``), and never with the working directory added to ``sys.path``;
- the lineage's INPUT records stream from the journal one stored batch at a time (bounded
  memory) into the node driver: RUN_STARTED and its manifest STRING records (``n_parts`` of
  the first says how many) and the setup inputs up to NODE_STARTED go through
  :func:`replay.nodes.lifecycle.startup`, the rest through :class:`replay.nodes.driver.NodeDriver`
  (control records at their seq); a journaled RUN_ENDED ends the run through
  :func:`replay.nodes.lifecycle.end_run` with its reason (recomputed: its state hash is
  checked like any other record); a fault the run journaled recurs and ends it the same way;
- every produced record is compared byte for byte (:class:`replay.verifying.VerifyingJournal`);
  the first difference stops the run and is reported with both records decoded and the cause
  chain that led to it; with ``out`` the produced records are written to a new journal instead
  (re-execution with changed code, to diff);
- a live journal (a venue configured ``external``: its events are inputs, an
  :class:`replay.nodes.offline.OfflineVenue` stands in for it and sends nothing) with its
  session store ``<journal>.fix`` beside it: the commands handed to the venue must be the
  store's outbound application messages (:mod:`replay.nodes.live_audit`); a difference fails
  the re-execution with one line per message;
- book levels of the simulated venues (inferred from the data files by the node) are inferred
  from the BOOK_DELTA inputs (one streamed pass) when the config says ``auto``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from domain.codec import as_kind
from domain.enums import RunEndReason
from domain.kinds import Kind
from engines.kernel import Kernel
from engines.strategy import Strategy
from journal.reader import JournalReader
from journal.runs import RunInfo, RunManifest, scan_runs
from journal.store import Journal
from replay.config import BacktestConfig
from replay.gc_policy import collector_for_runs
from replay.nodes.assemble import assemble, book_levels
from replay.nodes.driver import NodeDriver
from replay.nodes.inputs import InputCursor, JournalInputs
from replay.nodes.lifecycle import end_run, fault_text, startup
from replay.rebuild import Lineage, ReplayError, manifest_config, run_venues, setup_symbols
from replay.trace import cause_chain, record_dict
from replay.verifying import DivergenceError, VerifyingJournal
from ringbus._version import __version__

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
        older = sorted({lin.manifest.version for lin in lineages(runs)
                        if lin.manifest is not None and lin.manifest.version != __version__})
        if older:  # behaviour may have changed between the versions: say so next to the seq
            exc.why += (f" (the journal was written by ringbus {', '.join(older)}, this is "
                        f"{__version__}: CHANGELOG.md lists the changes that re-execute "
                        "differently)")
        return _divergence(path, reader, exc, total)
    finally:
        if writer is not None:
            writer.close()
    problems = _live_audit(path, reader, total.offline)
    if problems:
        return ReexecuteResult(False, path, total.n_records, total.n_inputs, total.state_hash,
                               why="; ".join(problems))
    return ReexecuteResult(True, path, total.n_records, total.n_inputs, total.state_hash)


def _live_audit(path: str, reader: JournalReader, offline: list[Any]) -> list[str]:
    """Compares what the external venues were handed with the outbound FIX messages of the
    live node's session store ``<journal>.fix`` (:mod:`replay.nodes.live_audit`)."""
    store_path = Path(path).with_name(Path(path).name + ".fix")
    if not offline or not (store_path / "data.mdb").exists():
        return []
    from replay.nodes.live_audit import fix_out_divergences

    refused: set[int] = set()
    for batch in reader.batches():
        rej = batch[(batch["kind"] == Kind.ORDER_REJECTED) & ((batch["flags"] & 1) != 0)]
        refused.update(as_kind(rej, Kind.ORDER_REJECTED)["client_order_id"].tolist())
    with Journal.open(store_path) as store:
        records = JournalReader(store).records_between()
    handed = [h for venue in offline for h in venue.handed]
    return fix_out_divergences(handed, records, refused)


@attrs.define
class Totals:
    n_records: int = 0
    n_inputs: int = 0
    state_hash: int = 0
    #: the external venues' stand-ins (what each was handed, for the live journal's audit)
    offline: list[Any] = attrs.Factory(list)


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
    end = reader.record(last)
    ended = end is not None and int(end["kind"][0]) == Kind.RUN_ENDED and int(as_kind(
        end, Kind.RUN_ENDED)["reason"][0]) != RunEndReason.INTERRUPTED
    journal: Any = writer if writer is not None else VerifyingJournal(
        reader, last, allow_extra=not ended, start_seq=first)
    kernel = Kernel(capacity=capacity, journal=journal, first_seq=first)
    t0 = int(reader.record(first)["ts_init"][0])
    kernel.ctx.now_ns = t0  # registration records carry the run's first data time
    venues = run_venues(reader, lin, config)
    assemble(kernel, config, venues, book_levels(reader, first, last, setup_symbols(reader, first)),
             strats)
    total.offline += [kernel.ctx.client(v.name).client for v in venues if v.external]
    cursor = InputCursor(JournalInputs(reader, first, last).chunks())
    head = cursor.take(1)
    strings = cursor.take(1)
    if len(strings) != 1 or int(strings["kind"][0]) != Kind.STRING:
        raise ReexecuteError(f"run {lin.root.run_id:016x}: its RUN_STARTED is not followed by "
                             "the manifest's STRING records")
    n_parts = int(as_kind(strings, Kind.STRING)["n_parts"][0])
    manifest_records = np.concatenate([head, strings, cursor.take(n_parts - 1)])
    setup, node_started = cursor.take_until(Kind.NODE_STARTED)
    if node_started is None:
        raise ReexecuteError(f"run {lin.root.run_id:016x}: no NODE_STARTED among its inputs: "
                             "the journal was written before the node driver, or its setup was "
                             "cut short by a crash")
    startup(kernel, manifest_records, lambda k: k.publish(setup) if len(setup) else None, t0)
    driver = NodeDriver(kernel, lin.root.run_id, first)
    try:
        with collector_for_runs():
            driver.feed(cursor.rest())
        if driver.ended is not None:
            rec = as_kind(driver.ended, Kind.RUN_ENDED)[0]
            # the timers due by the journaled end fire (a live node's clock ran past its
            # last input; a backtest ends at its last input, where nothing more is due)
            end_run(kernel, RunEndReason(int(rec["reason"])), driver.run_id, driver.first_seq,
                    end_ts=max(t0, int(driver.ended["ts_init"][0])))
    except DivergenceError:
        raise
    except Exception as exc:  # the run faulted here too: end it as the node did
        if kernel.faulted is None:
            raise
        end_run(kernel, RunEndReason.FAULTED, driver.run_id, driver.first_seq,
                fault=fault_text(exc))
    produced = journal.verified_to if writer is None else writer.next_seq - 1
    if writer is None and produced < last:
        raise DivergenceError(produced + 1, reader.record(produced + 1), None,
                              "the journal holds a record the re-execution did not produce")
    total.n_records += produced - first + 1
    total.n_inputs += driver.data
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
