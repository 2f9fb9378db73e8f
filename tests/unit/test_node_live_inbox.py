"""The live input source: a real producer thread pushes quotes into the inbox while the node
driver runs; the clock stamps ts_init and the timers due by the clock are journaled even when
no input arrives (issue 19 item 1)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from domain.kinds import KIND_DTYPES, Kind
from engines.strategy import Strategy
from replay.nodes.driver import NodeDriver
from replay.nodes.inputs import LiveInbox, ManualClock
from tests.unit.kernel_rig import T0, Tape, build, quotes

MS = 1_000_000


class Heartbeat(Strategy):
    """Counts quotes; a 10 ms timer from its start."""

    def __init__(self) -> None:
        super().__init__("heartbeat")
        self.quotes = 0
        self.fires = 0

    def on_start(self) -> None:
        self.subscribe_quotes("EUR/USD.SIM")
        self.clock.set_timer("beat", 10 * MS)

    def on_quote(self, quote) -> None:
        self.quotes += 1

    def on_timer(self, name: str, ts_event: int) -> None:
        self.fires += 1


def test_a_producer_thread_feeds_the_node_through_the_inbox_and_the_clock_drives_timers():
    tape = Tape()
    kernel = build([Heartbeat()], journal=tape)
    clock = ManualClock(T0)
    inbox = LiveInbox(clock)
    recs = quotes(kernel, np.arange(110_000, 110_040, dtype=np.int64))
    recs["ts_init"] = 0  # the inbox stamps time, not the producer

    def produce() -> None:
        try:
            for i in range(len(recs)):
                clock.advance(MS)  # 1 ms between quotes
                inbox.push(recs[i : i + 1])
            clock.advance(55 * MS)  # then quiet: only the clock moves
        finally:
            inbox.close()

    driver = NodeDriver(kernel, run_id=1, first_seq=1)
    producer = threading.Thread(target=produce)
    producer.start()
    driver.feed_live(inbox, timeout_s=0.01)
    producer.join()
    log = tape.records()
    got = log[log["kind"] == Kind.QUOTE]
    assert len(got) == 40 and driver.data == 40
    assert got["ts_init"].tolist() == list(range(T0 + MS, T0 + 41 * MS, MS))
    assert bool(np.all(np.diff(log["ts_init"].astype(np.int64)) >= 0))  # time never goes back
    timers = log[log["kind"] == Kind.TIMER]
    # 40 ms of quotes then 55 ms of quiet: fires at 10, 20, ..., 90 ms after the start
    assert timers["ts_init"].tolist() == [T0 + k * 10 * MS for k in range(1, 10)]
    assert kernel.component("heartbeat").fires == 9
    assert kernel.component("heartbeat").quotes == 40


def test_the_inbox_never_stamps_before_a_horizon_it_handed_out():
    clock = ManualClock(1000)
    inbox = LiveInbox(clock)
    taken = inbox.take(0)
    assert taken is not None and len(taken[0]) == 0 and taken[1] == 1000
    rec = np.zeros(1, dtype=np.dtype((np.void, 128)))
    inbox.push(rec)
    records, horizon = inbox.take(0)
    assert int(records["ts_init"][0]) == 1000 and horizon == 1000
    clock.advance(5)
    inbox.push(rec)
    inbox.close()
    records, horizon = inbox.take(0)
    assert int(records["ts_init"][0]) == 1005 and horizon == 1005
    clock.advance(7)
    assert inbox.take(0)[1] == 1012  # the final horizon after the close, once
    assert inbox.take(0) is None
    with pytest.raises(RuntimeError, match="closed"):
        inbox.push(rec)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


@pytest.mark.parametrize("n", [1, 3, 16, 17, 40])
def test_a_push_of_few_records_is_stamped_as_a_push_of_many(n):
    """Up to 16 records are stamped with struct, more with numpy: the same bytes either way
    (the records copied, INPUT added to their flags, ts_init the clock's), any record dtype."""
    from domain.codec import encode
    from domain.enums import RecordFlag
    from domain.kinds import RECORD_DTYPE

    records = np.concatenate([encode(Kind.QUOTE, instrument_id=i + 1, bid=100 + i, ask=101 + i)
                              for i in range(n)])
    records["flags"] = np.arange(n) % 2  # some flag already set: kept
    records["ts_init"] = 5
    original = records.copy()
    inbox = LiveInbox(ManualClock(2000))
    inbox.push(records.view(KIND_DTYPES[Kind.QUOTE]))
    got, _ = inbox.take(0)
    assert records.tobytes() == original.tobytes()  # the caller's records are untouched
    want = original.copy()
    want["ts_init"] = 2000
    want["flags"] |= int(RecordFlag.INPUT)
    assert got.dtype == RECORD_DTYPE and got.tobytes() == want.tobytes()
