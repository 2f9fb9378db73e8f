"""The heartbeat input source: a real thread pushes HEARTBEAT records into a live inbox on a
fixed interval while the node driver runs; the kernel journals them as control inputs and no
component acts on them."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from domain.codec import as_kind
from domain.enums import RecordFlag
from domain.kinds import Kind
from replay.nodes.driver import NodeDriver
from replay.nodes.heartbeat import Heartbeat
from replay.nodes.inputs import LiveInbox, ManualClock, data_inputs
from tests.unit.kernel_rig import T0, Tape, build


def test_heartbeats_reach_the_journal_every_interval_as_control_inputs():
    tape = Tape()
    kernel = build([], journal=tape)
    inbox = LiveInbox(ManualClock(T0))
    driver = NodeDriver(kernel, run_id=1, first_seq=1)
    beat = Heartbeat(inbox.push, interval_s=0.02).start()
    runner = threading.Thread(target=driver.feed_live, args=(inbox, 0.005))
    runner.start()
    time.sleep(0.25)
    beat.close()
    inbox.close()
    runner.join(30)
    log = tape.records()
    beats = as_kind(log[log["kind"] == Kind.HEARTBEAT], Kind.HEARTBEAT)
    assert 5 <= len(beats) == beat.count  # 0.25 s at 20 ms (a loaded machine beats less often)
    assert beats["count"].tolist() == list(range(1, len(beats) + 1))
    assert set(beats["interval_ns"].tolist()) == {20_000_000}
    assert bool(np.all(beats["flags"] & RecordFlag.INPUT))
    assert data_inputs(log[log["kind"] == Kind.HEARTBEAT]) == 0  # control, not data
    assert kernel.faulted is None


def test_the_interval_must_be_positive_and_a_closed_sink_stops_the_thread():
    with pytest.raises(ValueError, match="heartbeat_interval must be > 0"):
        Heartbeat(lambda r: None, interval_s=0)
    inbox = LiveInbox(ManualClock(T0))
    inbox.close()
    beat = Heartbeat(inbox.push, interval_s=0.01).start()
    beat._thread.join(5)
    assert not beat._thread.is_alive() and isinstance(beat.error, RuntimeError)
    assert beat.count == 0
