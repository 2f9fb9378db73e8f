"""The live node (``ringbus live --config live.toml``): the backtest's kernel, engines and
strategies, fed by a live inbox, trading through a FIX venue.

Design contract:
- inputs (market data from a data adapter or :meth:`LiveNode.push`, the venue's order events)
  enter the :class:`replay.nodes.inputs.LiveInbox`, which stamps ``ts_init`` from the wall
  clock; the node thread runs :meth:`replay.nodes.driver.NodeDriver.feed_live`: each take is
  journaled then folded, and the timers due by the take's horizon fire as TIMER records, so a
  replay sees the same clock;
- the FIX venue is an external execution client (:class:`replay.nodes.live_venue.FixVenue`):
  it gets a command only once the node's journal committed it; its session store (FIX_OUT /
  FIX_IN records, sequence numbers, resends) is the journal ``<journal>.fix`` next to the
  node's; durability ``batch`` (default) or ``sync`` for both; under ``sync`` the node's
  journal commits on a committer thread (:meth:`journal.writer.JournalWriter.start_committer`)
  with LMDB's synchronous commits (``live.sync_commit = "ordered"``, the default), or, with
  ``sync_commit = "single"``, an order's command and its FIX message are fsynced at once, not
  one after the other (``fsync_apart``): an order waits for its commit, made without LMDB's fsync, then the thread
  fdatasyncs it while the session store commits and fsyncs the message; the bytes wait for
  both (``FixSession.before_write``), the loop never for another take's commit or fsync. A message the store kept whose command an OS crash took
  from the node's journal is voided at the next start (never sent: a resend gap-fills over
  it, :meth:`adapters.fix.store.SessionJournal.void_lost_commands`). A commit's high-water
  mark and tailer wake-up are settled after its orders are sent (``JournalWriter.settle_later``;
  under ``sync`` never past the fsync);
- startup is the backtest node's: RUN_STARTED + manifest, the instruments and accounts of the
  config, NODE_STARTED; on a journal whose last run crashed the node recovers it first (the
  same recovery as a backtest: the journal's inputs re-executed and verified, RUN_RECOVERED),
  pushes the venue events its session store holds but its journal does not, logs on with the
  journaled sequence numbers (the venue resends what it missed) and journals every order the
  venue reports differently as FIX_RECONCILED; commands re-executed for orders the store
  holds are not sent again;
- stop (:meth:`LiveNode.stop`, SIGINT / SIGTERM in the CLI): optional cancel-all of the open
  orders at the venue (CANCEL_ALL_ORDERS inputs, answers awaited up to ``stop_grace_s``), then
  the strategies' ``on_stop`` and RUN_ENDED (CLEAN); the session logs out;
- with ``live.heartbeat_interval_s`` > 0 a :class:`replay.nodes.heartbeat.Heartbeat` pushes a
  HEARTBEAT input every interval (proof of life for a standby);
- opening a journal sends nothing: only :meth:`LiveNode.start` connects; the password comes
  from the caller (environment or a file) and goes on the wire only.
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from adapters.fix.client import FixExecutionClient
from adapters.fix.session import FixSession
from adapters.fix.store import SessionJournal
from domain.codec import encode
from domain.enums import BookLevel, OrderSide, RecordFlag, RunEndReason
from domain.kinds import RECORD_DTYPE, Kind
from engines.kernel import Kernel
from engines.strategy import Strategy
from journal import JournalReader
from journal.runs import RunManifest
from journal.writer import JournalWriter
from replay.backtest import hashed_config, new_journal_dir
from replay.backtest_setup import publish_accounts, publish_instrument, resolve_venues
from replay.config import ConfigError
from replay.data_source import make_instrument
from replay.nodes.assemble import assemble
from replay.nodes.driver import NodeDriver
from replay.nodes.heartbeat import Heartbeat
from replay.nodes.inputs import Clock, JournalInputs, LiveInbox, WallClock
from replay.nodes.lifecycle import end_run, fault_text, startup
from replay.nodes.live_config import LiveConfig, live_config, read_password
from replay.nodes.live_venue import FixVenue, translate, undelivered
from replay.recovery import CompletedRunError, NodeStart
from replay.strategy_registry import build_strategy

INPUT = int(RecordFlag.INPUT)


@attrs.frozen
class LiveRun:
    """What a live run left: its journal, session store, seqs, state hash and end."""

    journal: str
    session_journal: str
    run_id: int
    first_seq: int
    last_seq: int
    n_inputs: int
    state_hash: int
    end_reason: str
    fault: str = ""
    recovered: bool = False

    def to_json_dict(self) -> dict[str, Any]:
        return {"journal": self.journal, "session_journal": self.session_journal,
                "run_id": f"{self.run_id:016x}", "first_seq": self.first_seq,
                "last_seq": self.last_seq, "n_inputs": self.n_inputs,
                "state_hash": f"{self.state_hash:016x}", "end_reason": self.end_reason,
                "fault": self.fault, "recovered": self.recovered}


def session_path(journal: str | Path) -> Path:
    """Returns the FIX session store of the node journal at ``journal``."""
    journal = Path(journal)
    return journal.with_name(journal.name + ".fix")


class NodeInbox(LiveInbox):
    """The live inbox of a node: each take's venue events are translated into the kernel's ids
    on the node thread, held commands are handed out once committed, and a requested stop
    cancels the venue's open orders, waits for them (bounded), then closes the inbox."""

    def __init__(self, clock: Clock, node: LiveNode) -> None:
        super().__init__(clock, node.options.wait_strategy())
        self.node = node
        self._stop_at: float | None = None

    def push(self, records: np.ndarray) -> None:
        try:
            super().push(records)
        except RuntimeError:
            # closed for the run's end: the events are in the session store and are delivered
            # first at the next start (replay.nodes.live_venue.undelivered)
            if not self.node.stopping.is_set():
                raise

    def take(self, timeout_s: float) -> tuple[np.ndarray, int] | None:
        taken = super().take(timeout_s)
        node = self.node
        if taken is not None and len(taken[0]):
            translate(taken[0], node.kernel, node.fix_client, node.fix.venue,
                      node.venue.cause_of if node.venue is not None else {})
        kernel = node.kernel
        if kernel.faulted is None:  # batch durability: what waits is committed within batch_ns
            kernel.journal.flush()
            if kernel.outbound.held:
                kernel.release_outbound()
        if node.stopping.is_set():
            self._stopping(taken is not None and len(taken[0]) > 0)
        return taken

    def _stopping(self, busy: bool) -> None:
        node = self.node
        if self._stop_at is None:
            self._stop_at = time.monotonic() + node.options.stop_grace_s
            if node.options.cancel_all_on_stop:
                node.cancel_all()
            return
        if not busy and (not node.open_orders() or time.monotonic() >= self._stop_at):
            self.close()


class LiveNode:
    """Runs strategies live against a FIX venue (see the module contract)."""

    def __init__(self, raw: dict[str, Any] | LiveConfig, strategies: list[Strategy] | None = None,
                 *, journal: str | Path | None = None, clock: Clock | None = None,
                 password: str | None = None, runs_root: str | Path = "runs",
                 capacity: int = 1 << 16) -> None:
        config = raw if isinstance(raw, LiveConfig) else live_config(raw)
        self.config = config.backtest
        self.fix = config.fix
        self.options = config.live
        self.extra_strategies = list(strategies or [])
        if not self.config.strategies and not self.extra_strategies:
            raise ConfigError("strategies: a live node needs at least one strategy, got none")
        self.manifest = RunManifest(config=hashed_config(self.config, self.extra_strategies),
                                    seed=self.config.seed)
        self.path = Path(journal or self.config.journal or new_journal_dir(
            runs_root, "live", self.manifest.run_id))
        self.clock = clock or WallClock()
        self._password = password if password is not None else read_password(self.fix)
        self.capacity = capacity
        self.inbox = NodeInbox(self.clock, self)
        self.stopping = threading.Event()
        self.started = threading.Event()
        self.kernel: Kernel = None  # type: ignore[assignment]
        self.session: FixSession | None = None
        self.fix_client: FixExecutionClient = None  # type: ignore[assignment]
        self.venue: FixVenue | None = None
        self.result: LiveRun | None = None
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None

    @property
    def run_id(self) -> int:
        return self.manifest.run_id

    @property
    def running(self) -> bool:
        """True while the node thread runs."""
        return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------------ public API
    def start(self, timeout_s: float = 30.0) -> LiveNode:
        """Opens (or recovers) the journal, logs on to the venue and starts the node thread;
        returns once the node takes inputs. Errors of the startup are raised here."""
        self._thread = threading.Thread(target=self._main, name="live-node", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.started.wait(0.05):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                break
        if self.error is not None:
            raise self.error
        if not self.started.is_set():
            raise TimeoutError(f"live node did not start in {timeout_s} s")
        return self

    def push(self, records: np.ndarray) -> None:
        """Hands market data records (RECORD_DTYPE) to the node: stamped now, journaled, then
        folded by the kernel (any thread)."""
        self.inbox.push(records)

    def instrument_id(self, symbol: str) -> int:
        """Returns the kernel's interned id of ``symbol`` (``SYMBOL.VENUE``)."""
        iid = self.kernel.strings.id_of(symbol)
        if iid is None:
            raise KeyError(f"no instrument {symbol!r} in this node")
        return iid

    def stop(self, timeout_s: float = 30.0) -> LiveRun:
        """Stops the node (see the module contract) and returns its run."""
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        if self.error is not None:
            raise self.error
        if self.result is None:
            raise TimeoutError(f"live node did not stop in {timeout_s} s")
        return self.result

    def run(self, stop: threading.Event) -> LiveRun:
        """Starts, runs until ``stop`` is set, then stops (the CLI's loop)."""
        self.start()
        while not stop.wait(0.1):
            if self._thread is not None and not self._thread.is_alive():
                break
        return self.stop()

    # ------------------------------------------------------------------ node thread helpers
    def open_orders(self) -> list[Any]:
        """The orders the venue last reported open."""
        return self.fix_client.open_orders()

    def cancel_all(self) -> None:
        """Publishes a CANCEL_ALL_ORDERS input per instrument with orders open at the venue."""
        kernel = self.kernel
        iids = sorted({o.instrument_id for coid in [o.client_order_id for o in self.open_orders()]
                       if (o := kernel.ctx.cache.order(coid)) is not None})
        ts = max(kernel.ctx.now_ns, self.clock.now_ns())
        for iid in iids:
            kernel.publish(encode(Kind.CANCEL_ALL_ORDERS, ts_event=ts, ts_init=ts, flags=INPUT,
                                  instrument_id=iid, strategy_id=0, side=OrderSide.NO_SIDE))
        kernel.ctx.now_ns = max(kernel.ctx.now_ns, ts)

    def _strategies(self) -> list[Strategy]:
        return [build_strategy(s.name, dict(s.params)) for s in self.config.strategies] + \
            self.extra_strategies

    def _main(self) -> None:
        try:
            self.result = self._run()
        except BaseException as exc:
            self.error = exc
        finally:
            self.started.set()

    def _run(self) -> LiveRun:
        cfg = self.config
        venues = resolve_venues(cfg.venues, [i.id.rpartition(".")[2] for i in cfg.instruments])
        instruments = [make_instrument(i.id, "live", i.price_precision, i.size_precision, i)
                       for i in cfg.instruments]
        # batch: commits never wait for the disk (an order's commit is on its path to the wire)
        # and write through LMDB's writable map (no pwrite, so no mtime update, per commit)
        # sync, sync_commit "ordered": LMDB's synchronous commits on the committer thread
        # sync, sync_commit "single": commits without LMDB's own fsync, each followed by one
        # fdatasync on the committer thread once the commit is known, while the order's FIX
        # message is built, committed and fsynced in the session store: the bytes wait for
        # both (FixSession.before_write)
        batch = cfg.durability == "batch"
        apart = not batch and self.options.sync_commit == "single"
        writer = JournalWriter(self.path, durability=cfg.durability, fsync_behind=batch,
                               fsync_apart=apart, writemap=batch)
        try:
            start = NodeStart.open(writer, self.manifest)
        except CompletedRunError:
            writer.close()
            raise ConfigError(f"{self.path}: the journal's live run of this config ended; "
                              "start the node on a new journal") from None
        except BaseException:
            writer.close()
            raise
        store = SessionJournal(session_path(self.path), durability=cfg.durability,
                               fsync_apart=apart)
        session = self.session = FixSession(
            store, self.fix.host, self.fix.port, self.fix.sender, self.fix.target,
            heartbeat_s=self.fix.heartbeat_s, password=self._password)
        if not batch:
            # an OS crash between the two fsyncs can keep a message whose command the node's
            # journal lost: it was never sent, and a resend gap-fills over it
            store.void_lost_commands(writer.next_seq - 1, session.session_id)
        if apart:
            session.before_write = lambda: writer.wait_durable(writer.committed_seq)
        self.fix_client = FixExecutionClient(session, self.fix.capabilities)
        try:
            return self._trade(writer, start, venues, instruments)
        finally:
            session.stop()
            store.close()
            writer.close()

    def _trade(self, writer: JournalWriter, start: NodeStart, venues: list[Any],
               instruments: list[Any]) -> LiveRun:
        kernel = self.kernel = Kernel(capacity=self.capacity, journal=start.journal,
                                      first_seq=start.kernel_seq)
        start.attach(kernel)
        self.venue = FixVenue(self.fix.venue, self.fix_client, kernel, self.inbox.push)
        recovering = start.plan is not None
        reader = JournalReader(writer.journal)
        t0 = int(reader.record(start.first_seq)["ts_init"][0]) if recovering \
            else self.clock.now_ns()
        assert self.session is not None
        # the venue events the session store holds but the journal does not (a crash between
        # the two commits) go first; then the session logs on: a venue that does not answer
        # fails the start before the node journals anything
        store = JournalReader(self.session.journal.writer.journal).records_between()
        missed = undelivered(store, _node_records(reader, writer.next_seq - 1))
        if len(missed):
            self.inbox.push(missed)
        self.session.start(self.fix.logon_timeout_s)
        kernel.ctx.now_ns = t0
        assemble(kernel, self.config, venues, {v.name: int(BookLevel.L1) for v in venues},
                 self._strategies(), external={self.fix.venue: self.venue})

        def setup(k: Kernel) -> None:
            for inst in instruments:
                publish_instrument(k, inst, t0)
            for venue in venues:
                publish_accounts(k, venue, t0)

        startup(kernel, self.manifest.to_records(
            kernel.strings.intern(self.manifest.to_json())[0]), setup, t0)
        first_seq = start.first_seq
        driver = NodeDriver(kernel, *start.run_at(kernel.last_seq + 1,
                                                  (self.run_id, first_seq)))
        if recovering:
            assert start.plan is not None
            driver.feed(JournalInputs(reader, kernel.last_seq + 1, start.plan.last_seq).chunks())
            start.check_caught_up(kernel)
            kernel.journal.flush()
        beat = Heartbeat(self.inbox.push, self.options.heartbeat_interval_s).start() \
            if self.options.heartbeat_interval_s > 0 else None
        # sync: the takes' commits and their fsyncs run on a committer thread; an order waits
        # for its commit, and its bytes for the fsync (made meanwhile); the node thread never
        # waits for another take's
        # batch: a commit's mark and tailer poke wait until its orders are sent (settle)
        committer = self.config.durability == "sync"
        if committer:
            writer.start_committer()
        else:
            writer.settle_later = True
        self.started.set()
        reason, fault = RunEndReason.CLEAN, ""
        try:
            try:
                driver.feed_live(self.inbox, settle=None if committer else writer.settle,
                                 sends=self.venue.corked, commit_behind=committer)
            finally:
                if beat is not None:
                    beat.close()
                if committer:  # a failed commit already faulted the kernel (its end reports it)
                    with contextlib.suppress(Exception):
                        writer.stop_committer()
                writer.settle_later = False
            state_hash = end_run(kernel, reason, *start.run_id(self.run_id),
                                 end_ts=kernel.ctx.now_ns)
        except Exception as exc:
            if kernel.faulted is None:
                raise
            reason, fault = RunEndReason.FAULTED, fault_text(exc)
            state_hash = end_run(kernel, reason, *start.run_id(self.run_id), fault=fault)
        last_seq = kernel.last_seq if kernel.faulted is None else writer.next_seq - 1
        return LiveRun(str(self.path), str(session_path(self.path)), self.run_id, first_seq,
                       last_seq, driver.data, state_hash, reason.name, fault, recovering)


def _node_records(reader: JournalReader, last_seq: int) -> np.ndarray:
    parts = list(reader.batches(1, last_seq)) if last_seq >= 1 else []
    return np.concatenate(parts) if parts else np.zeros(0, dtype=RECORD_DTYPE)
