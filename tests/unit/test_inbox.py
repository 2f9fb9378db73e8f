"""Inbox: real producer threads hand records to the kernel thread, which alone publishes."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from domain.kinds import RECORD_DTYPE
from ringbus import ConsumerGraph, DrainLoop, Inbox, Ring, RingFullError, Sequence


def tagged(thread_id: int, i: int, n: int = 1) -> np.ndarray:
    r = np.zeros(n, dtype=RECORD_DTYPE)
    r["source"] = thread_id
    r["ts_event"] = np.arange(i, i + n)
    return r


class Collect:
    def __init__(self) -> None:
        self.rows: list[tuple[int, int, int]] = []

    def on_batch(self, batch: np.ndarray) -> None:
        self.rows.extend(
            zip(batch["seq"].tolist(), batch["source"].tolist(), batch["ts_event"].tolist(),
                strict=True)
        )


def test_records_from_several_threads_all_arrive_in_each_threads_order() -> None:
    inbox = Inbox()
    n_threads, per_thread = 4, 500
    collect = Collect()
    ring = Ring(256)
    loop = DrainLoop(ring, ConsumerGraph().add("journal", collect))
    start = threading.Barrier(n_threads)

    def produce(thread_id: int) -> None:
        start.wait()
        for i in range(0, per_thread, 2):
            inbox.put(tagged(thread_id, i, 2))

    threads = [threading.Thread(target=produce, args=(t,)) for t in range(1, n_threads + 1)]
    for t in threads:
        t.start()
    received = 0
    while received < n_threads * per_thread:
        assert inbox.wait(timeout=10.0), "producers stalled"
        for arr in inbox.poll():
            ring.publish_records(arr)
            loop.drain()
            received += len(arr)
    for t in threads:
        t.join()
    assert [row[0] for row in collect.rows] == list(range(1, n_threads * per_thread + 1))
    for thread_id in range(1, n_threads + 1):
        mine = [ts for _, src, ts in collect.rows if src == thread_id]
        assert mine == list(range(per_thread))


def test_wait_blocks_until_a_put_from_another_thread() -> None:
    inbox = Inbox()
    timer = threading.Timer(0.05, inbox.put, args=(tagged(1, 7),))
    timer.start()
    try:
        assert inbox.wait(timeout=10.0)
    finally:
        timer.join()
    (arr,) = inbox.poll()
    assert arr["ts_event"].tolist() == [7]


def test_wait_times_out_and_poll_is_empty_when_nothing_was_put() -> None:
    inbox = Inbox()
    assert inbox.wait(timeout=0.01) is False
    assert inbox.poll() == []
    assert len(inbox) == 0


def test_put_copies_so_the_caller_may_reuse_its_buffer() -> None:
    inbox = Inbox()
    buf = tagged(1, 0)
    inbox.put(buf)
    buf["ts_event"] = 99
    inbox.put(buf[0])
    inbox.put(tagged(1, 0, 0))
    assert [a["ts_event"].tolist() for a in inbox.poll()] == [[0], [99]]


def test_put_refuses_two_dimensional_arrays() -> None:
    with pytest.raises(ValueError, match=r"records must be 1-d, got shape \(2, 1\)"):
        Inbox().put(np.zeros((2, 1), dtype=RECORD_DTYPE))


def test_drain_into_a_full_ring_keeps_what_did_not_fit_in_order() -> None:
    inbox = Inbox()
    ring = Ring(4)
    consumer = Sequence(1, "journal")
    ring.add_gating_sequences(consumer)
    for i in range(3):
        inbox.put(tagged(1, i * 2, 2))
    with pytest.raises(RingFullError, match="'journal'"):
        inbox.drain_into(ring)
    assert ring.cursor == 4
    assert len(inbox) == 1
    consumer.value = 4
    assert inbox.drain_into(ring) == 2
    assert np.concatenate(ring.views(3, 6))["ts_event"].tolist() == [2, 3, 4, 5]
