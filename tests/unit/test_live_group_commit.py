"""The live node's path to the wire (issue 14, tick-to-order latency): one group commit per inbox
take, an order handed out at the end of the take that made it (never after the journal's batch
window), the live loop's interpreter policy, an inbox put waking ``take`` and TCP_NODELAY."""

from __future__ import annotations

import gc
import socket
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from adapters.fix.session import FixSession
from adapters.fix.store import SessionJournal
from domain.enums import OrderSide
from engines.strategy import Strategy
from journal import JournalWriter
from replay.nodes.driver import NodeDriver
from replay.nodes.inputs import LiveInbox, ManualClock
from replay.nodes.latency import SWITCH_INTERVAL_S, live_loop_policy
from tests.live.scripted_venue import ScriptedVenue
from tests.unit.kernel_rig import SYMBOL, T0, quotes
from tests.unit.test_journal_sink import RecordingVenue, _kernel_with_external_venue


class EveryQuote(Strategy):
    """Buys a limit order on every quote; notes the switch interval it runs under."""

    def __init__(self) -> None:
        super().__init__("every_quote")
        self.intervals: list[float] = []

    def on_start(self) -> None:
        self.subscribe_quotes(SYMBOL)

    def on_quote(self, quote: Any) -> None:
        self.intervals.append(sys.getswitchinterval())
        self.submit_order(self.order_factory.limit(SYMBOL, OrderSide.BUY, 1000, "1.00000"))


def _live_kernel(tmp_path: Path, durability: str) -> tuple[Any, RecordingVenue, JournalWriter]:
    # batch with a window that never passes: before group commit an order waited for it
    writer = JournalWriter(tmp_path / "j", durability, batch_ns=1 << 62, notify=False)
    kernel, venue = _kernel_with_external_venue(writer)
    return kernel, venue, writer


def test_an_order_leaves_at_the_end_of_its_take_not_after_the_batch_window(
        tmp_path: Path) -> None:
    kernel, venue, writer = _live_kernel(tmp_path, "batch")
    inbox = LiveInbox(ManualClock(T0 + 10**9))
    driver = NodeDriver(kernel, run_id=1, first_seq=1)
    node = threading.Thread(target=driver.feed_live, args=(inbox, 0.01))
    node.start()
    recs = quotes(kernel, np.arange(110_000, 110_003, dtype=np.int64))
    for i in range(3):  # the rig's strategy buys on every third quote
        inbox.push(recs[i : i + 1])
    got = threading.Event()
    for _ in range(3000):  # no further input: only the end of the take can release it
        if venue.calls:
            got.set()
            break
        got.wait(0.01)
    inbox.close()
    node.join()
    assert got.is_set(), "the order was never handed out while the inbox stayed open"
    method, seq, committed, _ = venue.calls[0]
    assert method == "submit" and seq <= committed
    assert kernel.defer_flush is False  # restored when feed_live ends
    kernel.stop()
    writer.close()


def test_sync_commits_an_order_at_once_and_group_commits_the_other_inputs(
        tmp_path: Path) -> None:
    kernel, venue, writer = _live_kernel(tmp_path, "sync")
    inbox = LiveInbox(ManualClock(T0 + 10**9))
    inbox.push(quotes(kernel, 110_000 + np.arange(61) % 7))  # one take: 61 quotes, 20 buys
    inbox.close()
    commits_before = writer._mark.mark.commits
    NodeDriver(kernel, run_id=1, first_seq=1).feed_live(inbox, 0.01)
    assert [m for m, *_ in venue.calls].count("submit") == 20
    assert all(seq <= committed for _, seq, committed, _ in venue.calls)
    # one commit right after each input that made a command (it goes out at once), one for
    # the take's remaining input; was one fsynced commit per quote
    order_commits = len({committed for _, _, committed, _ in venue.calls})
    assert writer._mark.mark.commits - commits_before == order_commits + 1 < 61
    for _, seq, committed, _ in venue.calls:  # each went at its own input's commit
        assert committed - seq < 10
    kernel.stop()
    writer.close()


def test_the_live_loop_runs_under_its_switch_interval_and_restores_the_interpreter(
        tmp_path: Path) -> None:
    before_interval, before_threshold = sys.getswitchinterval(), gc.get_threshold()
    writer = JournalWriter(tmp_path / "j", "batch", fsync_behind=True, notify=False)
    from tests.unit.kernel_rig import build
    strategy = EveryQuote()
    kernel = build([strategy], journal=writer)
    inbox = LiveInbox(ManualClock(T0 + 10**9))
    inbox.push(quotes(kernel, np.arange(110_000, 110_004, dtype=np.int64)))
    inbox.close()
    NodeDriver(kernel, run_id=1, first_seq=1).feed_live(inbox, 0.01)
    assert strategy.intervals == pytest.approx([SWITCH_INTERVAL_S] * 4)  # stored in us
    assert sys.getswitchinterval() == before_interval
    assert gc.get_threshold() == before_threshold
    with live_loop_policy(0.001):
        assert sys.getswitchinterval() == pytest.approx(0.001)
    kernel.stop()
    writer.close()


def test_a_push_wakes_a_waiting_take_before_its_timeout() -> None:
    inbox = LiveInbox(ManualClock(T0))
    out: list[Any] = []
    taker = threading.Thread(target=lambda: out.append(inbox.take(600.0)))
    taker.start()
    rec = np.zeros(1, dtype=np.dtype((np.void, 128)))
    while not inbox._cond._waiters:  # the taker sleeps on the condition
        threading.Event().wait(0.001)
    inbox.push(rec)
    taker.join(60)  # a take that only polled would sleep its whole 600 s timeout
    assert not taker.is_alive()
    records, horizon = out[0]
    assert len(records) == 1 and horizon == T0


def test_the_fix_session_socket_sends_without_nagle(tmp_path: Path) -> None:
    venue = ScriptedVenue()
    session = FixSession(SessionJournal(tmp_path / "fix"), "127.0.0.1", venue.port, "RINGBUS",
                         "ORDERMATCH")
    starter = threading.Thread(target=session.start)
    starter.start()
    venue.accept()
    assert venue.receive() is not None  # the Logon
    venue.send(b"A", [(98, b"0"), (108, b"30")])
    starter.join(10)
    try:
        assert session._sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        session.stop(timeout_s=0.2)
        session.journal.close()


def test_small_takes_are_decided_from_the_same_keys_as_whole_chunks() -> None:
    from domain.codec import encode
    from domain.kinds import Kind as K
    from replay.loop import _keys, _small_keys

    recs = np.concatenate([
        quotes_for(7, 3),
        encode(K.TRADE, instrument_id=9, price=1, size=1),
        encode(K.STRING, string_id=4),
        encode(K.TIMER, ts_event=1),
    ])
    mem = memoryview(np.ascontiguousarray(recs).view(np.uint8))
    assert _small_keys(mem, len(recs)) == _keys(recs)
    assert [k & 0xFFFFFFFF for k in _keys(recs)][:4] == [7, 7, 7, 9]


def quotes_for(instrument_id: int, n: int) -> np.ndarray:
    from domain.kinds import KIND_DTYPES, RECORD_DTYPE
    from domain.kinds import Kind as K

    recs = np.zeros(n, dtype=KIND_DTYPES[K.QUOTE])
    recs["kind"] = int(K.QUOTE)
    recs["instrument_id"] = instrument_id
    return recs.view(RECORD_DTYPE)


def test_commit_behind_folds_the_take_while_an_order_commits_and_sends_it_once_committed(
        tmp_path: Path) -> None:
    """``sync`` with a committer thread (``commit_behind``): an order-making input hands its
    records to the committer and the take goes on; each order leaves once its commit is known,
    in order, inside one ``sends()`` group per hand-out. The committer is held at its first
    commit: the whole take is folded meanwhile (before, the node waited for each order's
    commit), and nothing goes out until the commit is known."""
    kernel, venue, writer = _live_kernel(tmp_path, "sync")
    writer.start_committer()
    gate, store = threading.Event(), writer._store
    storing = threading.Event()

    def gated_store(*args: Any, **kwargs: Any) -> None:
        storing.set()
        gate.wait(30)
        store(*args, **kwargs)

    writer._store = gated_store  # type: ignore[method-assign]
    inbox = LiveInbox(ManualClock(T0 + 10**9))
    inbox.push(quotes(kernel, 110_000 + np.arange(61) % 7))  # one take: 61 quotes, 20 buys
    inbox.close()
    groups: list[int] = []

    class Sends:
        def __enter__(self) -> None:
            groups.append(len(venue.calls))

        def __exit__(self, *exc: object) -> None:
            groups[-1] = len(venue.calls) - groups[-1]

    driver = NodeDriver(kernel, run_id=1, first_seq=1)
    node = threading.Thread(target=driver.feed_live, args=(inbox, 0.01),
                            kwargs={"sends": Sends, "commit_behind": True})
    last_quote = kernel.last_seq + 61
    node.start()
    assert storing.wait(30)
    for _ in range(3000):  # the take goes on while the first order's commit is held
        if kernel.last_seq >= last_quote:
            break
        threading.Event().wait(0.01)
    assert kernel.last_seq >= last_quote and venue.calls == []
    gate.set()
    node.join(30)
    assert not node.is_alive()
    submits = [c for c in venue.calls if c[0] == "submit"]
    assert len(submits) == 20
    assert all(seq <= committed for _, seq, committed, _ in submits)
    assert [seq for _, seq, _, _ in submits] == sorted(seq for _, seq, _, _ in submits)
    assert sum(groups) == len(venue.calls) and len([g for g in groups if g]) < 20
    writer.stop_committer()
    kernel.stop()
    writer.close()
