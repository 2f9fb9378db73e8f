"""The live node thread's wait strategies (issue 14, tick-to-order latency): spinning on the
inbox before blocking changes when the node thread wakes, never what it journals."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from replay.nodes.driver import NodeDriver
from replay.nodes.inputs import LiveInbox, ManualClock
from replay.nodes.wait import WAITS, WaitStrategy
from tests.unit.kernel_rig import T0, Tape, build, quotes
from tests.unit.test_node_live_inbox import MS, Heartbeat


def test_a_wait_strategy_refuses_an_unknown_name_or_a_negative_budget() -> None:
    with pytest.raises(ValueError, match="must be one of .* got 'sleepy'"):
        WaitStrategy("sleepy")
    with pytest.raises(ValueError, match="spin_us must be >= 0, got -5"):
        WaitStrategy("busy-spin", -5)


def test_blocking_polls_once_and_the_spinning_strategies_poll_until_their_budget() -> None:
    polls = []

    def never() -> bool:
        polls.append(1)
        return False

    assert WaitStrategy("blocking", 10_000).spin(never) is False and len(polls) == 1
    for name in ("yielding", "busy-spin"):
        polls.clear()
        start = time.perf_counter()
        assert WaitStrategy(name, 20_000).spin(never) is False
        assert time.perf_counter() - start >= 0.02 and len(polls) > 1


@pytest.mark.parametrize("name", ["yielding", "busy-spin"])
def test_a_spinning_take_sees_a_push_without_sleeping_on_the_condition(name: str) -> None:
    inbox = LiveInbox(ManualClock(T0), WaitStrategy(name, 30_000_000))  # a 30 s budget
    out: list[Any] = []
    taker = threading.Thread(target=lambda: out.append(inbox.take(600.0)))
    taker.start()
    time.sleep(0.05)
    assert taker.is_alive() and not inbox._cond._waiters  # spinning, not on the condition
    inbox.push(np.zeros(1, dtype=np.dtype((np.void, 128))))
    taker.join(10)
    assert not taker.is_alive()
    records, horizon = out[0]
    assert len(records) == 1 and horizon == T0


def _journal_with(wait: WaitStrategy) -> bytes:
    """The journal of a node fed 30 quotes (1 ms apart) and 40 ms of quiet by a producer
    thread, waiting by ``wait``."""
    tape = Tape()
    kernel = build([Heartbeat()], journal=tape)
    clock = ManualClock(T0)
    inbox = LiveInbox(clock, wait)
    recs = quotes(kernel, np.arange(110_000, 110_030, dtype=np.int64))
    recs["ts_init"] = 0

    def produce() -> None:
        try:
            for i in range(len(recs)):
                clock.advance(MS)
                inbox.push(recs[i : i + 1])
                time.sleep(0.0005 * (i % 3))  # takes of one and of several pushes
            clock.advance(40 * MS)
        finally:
            inbox.close()

    producer = threading.Thread(target=produce)
    producer.start()
    NodeDriver(kernel, run_id=1, first_seq=1).feed_live(inbox, timeout_s=0.01)
    producer.join()
    assert kernel.component("heartbeat").quotes == 30
    return tape.records().tobytes()


def test_the_node_journals_the_same_records_whatever_its_wait_strategy() -> None:
    journals = {name: _journal_with(WaitStrategy(name, 2000)) for name in WAITS}
    assert journals["yielding"] == journals["blocking"]
    assert journals["busy-spin"] == journals["blocking"]
