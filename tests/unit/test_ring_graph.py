"""Consumer graph, drain loop and outbox: ordering, barriers, wrap-around, emission, errors."""

from __future__ import annotations

import numpy as np
import pytest

from domain.kinds import RECORD_DTYPE
from ringbus import (
    ConsumerGraph,
    ConsumerGraphError,
    DrainLoop,
    Outbox,
    Ring,
    RingFullError,
)


def records(n: int, start: int = 0) -> np.ndarray:
    r = np.zeros(n, dtype=RECORD_DTYPE)
    r["ts_event"] = np.arange(start, start + n)
    return r


class Recorder:
    """Records every batch's seqs; optionally checks its dependencies are never behind."""

    def __init__(self, name: str = "", log: list[str] | None = None) -> None:
        self.name = name
        self.batches: list[list[int]] = []
        self.log = log
        self.loop: DrainLoop | None = None
        self.deps: list[str] = []

    def on_batch(self, batch: np.ndarray) -> None:
        seqs = batch["seq"].tolist()
        if self.loop is not None:
            for dep in self.deps:
                assert self.loop.consumer(dep).sequence.value >= seqs[-1]
        self.batches.append(seqs)
        if self.log is not None:
            self.log.append(self.name)

    @property
    def seqs(self) -> list[int]:
        return [s for b in self.batches for s in b]


class Echo:
    """Emits one derived record (ts_event + 1000) for each record with ts_event < 1000."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.seen: list[int] = []

    def on_batch(self, batch: np.ndarray) -> None:
        self.seen.extend(batch["ts_event"].tolist())
        inputs = batch[batch["ts_event"] < 1000]
        if len(inputs):
            derived = inputs.copy()
            derived["ts_event"] += 1000
            self.outbox.emit(derived)


# --- graph construction ------------------------------------------------------------------------


def test_a_duplicate_consumer_name_is_refused_naming_it() -> None:
    graph = ConsumerGraph().add("journal", Recorder())
    with pytest.raises(ConsumerGraphError, match="consumer name 'journal' is declared twice"):
        graph.add("journal", Recorder())


def test_an_unknown_dependency_is_refused_naming_both_consumers() -> None:
    graph = ConsumerGraph().add("cache", Recorder(), after=["jurnal"])
    with pytest.raises(ConsumerGraphError, match="'cache' depends on unknown consumer 'jurnal'"):
        DrainLoop(Ring(8), graph)


def test_a_cycle_is_refused_naming_the_cycle() -> None:
    graph = ConsumerGraph()
    graph.add("a", Recorder(), after=["c"]).add("b", Recorder(), after=["a"])
    graph.add("c", Recorder(), after=["b"]).add("d", Recorder())
    with pytest.raises(ConsumerGraphError, match="cycle: ") as err:
        graph.order()
    assert all(name in str(err.value) for name in "abc")
    assert "d" not in str(err.value).split("cycle: ")[1]


def test_a_consumer_depending_on_itself_is_refused() -> None:
    with pytest.raises(ConsumerGraphError, match="'a' depends on itself"):
        ConsumerGraph().add("a", Recorder(), after=["a"])


def test_a_handler_without_on_batch_is_refused() -> None:
    with pytest.raises(ConsumerGraphError, match="'a': handler .* has no on_batch"):
        ConsumerGraph().add("a", object())  # type: ignore[arg-type]


def test_after_given_as_a_string_or_with_repeats_is_refused() -> None:
    with pytest.raises(ConsumerGraphError, match="after must be a list of names"):
        ConsumerGraph().add("b", Recorder(), after="a")
    with pytest.raises(ConsumerGraphError, match="twice"):
        ConsumerGraph().add("b", Recorder(), after=["a", "a"])


def test_execution_order_is_topological_with_declaration_order_breaking_ties() -> None:
    graph = ConsumerGraph()
    graph.add("strategy", Recorder(), after=["risk"])
    graph.add("journal", Recorder())
    graph.add("risk", Recorder(), after=["cache"])
    graph.add("cache", Recorder(), after=["journal"])
    graph.add("monitor", Recorder())
    assert graph.order() == ["journal", "cache", "risk", "strategy", "monitor"]
    assert graph.names == ("strategy", "journal", "risk", "cache", "monitor")


# --- drain loop --------------------------------------------------------------------------------


def diamond(capacity: int = 16) -> tuple[Ring, DrainLoop, dict[str, Recorder], list[str]]:
    log: list[str] = []
    rec = {name: Recorder(name, log) for name in "abcd"}
    graph = ConsumerGraph()
    graph.add("a", rec["a"]).add("b", rec["b"], after=["a"]).add("c", rec["c"], after=["a"])
    graph.add("d", rec["d"], after=["b", "c"])
    ring = Ring(capacity)
    loop = DrainLoop(ring, graph)
    for name, deps in (("b", ["a"]), ("c", ["a"]), ("d", ["b", "c"])):
        rec[name].loop, rec[name].deps = loop, deps
    return ring, loop, rec, log


def test_a_diamond_delivers_every_record_once_in_order_to_every_consumer() -> None:
    ring, loop, rec, log = diamond()
    ring.publish_records(records(5))
    assert loop.drain() == 20
    ring.publish_records(records(3))
    loop.drain()
    for r in rec.values():
        assert r.seqs == list(range(1, 9))
        assert r.batches == [[1, 2, 3, 4, 5], [6, 7, 8]], "everything available is one batch"
    assert log == ["a", "b", "c", "d"] * 2
    assert loop.is_drained()


def test_the_ring_gates_on_the_leaf_consumers() -> None:
    ring, loop, _, _ = diamond()
    assert [s.name for s in ring.gating_sequences] == ["d"]


def test_a_window_that_wraps_the_ring_end_is_delivered_as_two_batches() -> None:
    ring, loop, rec, _ = diamond(capacity=8)
    ring.publish_records(records(6))
    loop.drain()
    ring.publish_records(records(5))
    loop.drain()
    assert rec["d"].batches == [[1, 2, 3, 4, 5, 6], [7], [8, 9, 10, 11]]
    assert rec["a"].seqs == list(range(1, 12))


def test_a_consumer_never_passes_its_dependencies_when_stepped_by_hand() -> None:
    ring, loop, rec, _ = diamond()
    ring.publish_records(records(6))
    a, b, c, d = (loop.consumer(n) for n in "abcd")
    assert b.consume() == 0, "b waits for a"
    assert a.consume(limit=4) == 4
    assert b.consume() == 4
    assert c.consume(limit=1) == 1
    assert d.available() == 1
    assert d.consume() == 1
    assert rec["d"].seqs == [1]
    loop.drain()
    assert rec["d"].seqs == list(range(1, 7))


def test_records_emitted_while_draining_are_processed_in_the_same_drain_in_seq_order() -> None:
    outbox = Outbox()
    echo = Echo(outbox)
    before, after = Recorder("journal"), Recorder("strategy")
    graph = ConsumerGraph().add("journal", before)
    graph.add("venue", echo, after=["journal"], outbox=outbox)
    graph.add("strategy", after, after=["venue"])
    ring = Ring(16)
    loop = DrainLoop(ring, graph)
    ring.publish_records(records(3))
    loop.drain()
    assert ring.cursor == 6
    assert loop.is_drained()
    assert echo.seen == [0, 1, 2, 1000, 1001, 1002]
    assert before.seqs == after.seqs == [1, 2, 3, 4, 5, 6]
    assert np.concatenate(ring.views(1, 6))["seq"].tolist() == [1, 2, 3, 4, 5, 6]
    assert len(outbox) == 0


def test_emission_that_does_not_fit_raises_ring_full_and_keeps_the_records() -> None:
    outbox = Outbox()
    graph = ConsumerGraph().add("journal", Recorder())
    graph.add("venue", Echo(outbox), after=["journal"], outbox=outbox)
    graph.add("strategy", Recorder(), after=["venue"])
    ring = Ring(4)
    loop = DrainLoop(ring, graph)
    ring.publish_records(records(3))
    with pytest.raises(RingFullError, match="capacity=4, claim n=3 .*'strategy'"):
        loop.drain()
    assert len(outbox) == 1, "the records that did not fit are still pending"
    assert ring.cursor == 3


def test_one_input_then_a_drain_processes_everything_it_causes_before_the_next() -> None:
    outbox = Outbox()
    echo = Echo(outbox)
    strategy = Recorder("strategy")
    graph = ConsumerGraph().add("venue", echo, outbox=outbox).add(
        "strategy", strategy, after=["venue"]
    )
    ring = Ring(8)
    loop = DrainLoop(ring, graph)
    src = records(4)
    seqs = []
    for i in range(4):
        seqs.append(ring.publish_record(src[i : i + 1]))
        loop.drain()
    assert seqs == [1, 3, 5, 7], "each input is followed by what it caused"
    assert echo.seen == [0, 1000, 1, 1001, 2, 1002, 3, 1003]
    assert strategy.seqs == list(range(1, 9))
    assert loop.is_drained()


def test_a_drain_after_a_bulk_publish_hands_each_consumer_one_batch() -> None:
    ring, loop, rec, _ = diamond()
    ring.publish_records(records(3))
    assert ring.publish_record(records(1)[0]) == 4
    loop.drain()
    assert rec["d"].seqs == [1, 2, 3, 4]
    assert ring.publish_record(records(1)[0]) == 5
    loop.drain()
    assert rec["d"].batches == [[1, 2, 3, 4], [5]]


def test_outbox_emit_one_and_empty_emit() -> None:
    outbox = Outbox()
    outbox.emit(records(0))
    assert len(outbox) == 0
    outbox.emit_one(records(1)[0])
    outbox.emit(records(2))
    ring = Ring(4)
    assert outbox.flush_into(ring) == 3
    assert ring.cursor == 3
    assert len(outbox) == 0


def test_outbox_take_hands_over_the_pending_arrays_oldest_first() -> None:
    outbox = Outbox()
    outbox.emit(records(2))
    outbox.emit(records(1, 5))
    taken = outbox.take()
    assert [a["ts_event"].tolist() for a in taken] == [[0, 1], [5]]
    assert len(outbox) == 0
    assert outbox.take() == []
