"""The ring, consumer graph and drain loop against a plain list model (hypothesis stateful).

Random claims and publishes (bulk, single, manual claim/slots/publish), random consumer progress,
wrap-arounds, random consumer DAGs (diamonds included), one consumer that emits derived records,
and recovery-style first seqs. Checked after every step:
- no consumer ever loses, duplicates or reorders a record (each sees seq last+1, last+2, ...);
- every record a consumer sees has the content the model published at that seq, and every slot
  not yet finished by all consumers still holds it (nothing is overwritten early);
- no consumer passes a dependency; a claim that would overwrite raises and changes nothing.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.kinds import RECORD_DTYPE
from ringbus import ConsumerGraph, DrainLoop, Outbox, Ring, RingConfigError, RingFullError

DERIVED = 1 << 40  # ts_event of derived (emitted) records starts here; inputs are below


class Checker:
    """A handler asserting gap-free, in-order, intact delivery against the model."""

    def __init__(self, machine: RingMachine, name: str, deps: list[str]) -> None:
        self.machine = machine
        self.name = name
        self.deps = deps
        self.last = machine.first_seq - 1
        self.outbox: Outbox | None = None

    def on_batch(self, batch: np.ndarray) -> None:
        m = self.machine
        seqs = batch["seq"].tolist()
        assert seqs == list(range(self.last + 1, self.last + 1 + len(seqs))), (
            f"{self.name}: expected seqs from {self.last + 1}, got {seqs}"
        )
        expected = [m.model[s - m.first_seq] for s in seqs]
        assert batch["ts_event"].tolist() == expected, f"{self.name}: slot overwritten early"
        for dep in self.deps:
            assert m.checkers[dep].last >= seqs[-1], f"{self.name} passed {dep}"
        self.last = seqs[-1]
        if self.outbox is not None and m.ring.remaining_capacity() >= 1:
            inputs = [t for t in expected if t < DERIVED]
            if inputs:
                derived = np.zeros(1, dtype=RECORD_DTYPE)
                derived["ts_event"] = DERIVED + m.next_id
                m.next_id += 1
                self.outbox.emit(derived)
                # Published right after this handler returns, before anything else.
                m.model.append(int(derived["ts_event"][0]))


@st.composite
def dags(draw: st.DrawFn) -> list[tuple[str, list[str]]]:
    """Random DAGs of 1-5 consumers, declared in a random order (forward references included)."""
    n = draw(st.integers(1, 5))
    names = [f"c{i}" for i in range(n)]
    deps = [[names[j] for j in range(i) if draw(st.booleans())] for i in range(n)]
    order = draw(st.permutations(range(n)))
    return [(names[i], deps[i]) for i in order]


class RingMachine(RuleBasedStateMachine):
    @initialize(
        capacity_log2=st.integers(0, 5),
        graph=dags(),
        first_seq=st.sampled_from([1, 2, 1000]),
        emitter=st.integers(-1, 4),
    )
    def setup(self, capacity_log2: int, graph: list[tuple[str, list[str]]], first_seq: int,
              emitter: int) -> None:
        self.first_seq = first_seq
        self.model: list[int] = []
        self.next_id = 0
        self.ring = Ring(1 << capacity_log2, first_seq=first_seq)
        self.checkers: dict[str, Checker] = {}
        cg = ConsumerGraph()
        for name, deps in graph:
            checker = Checker(self, name, deps)
            if name == f"c{emitter}":
                checker.outbox = Outbox()
            self.checkers[name] = checker
            cg.add(name, checker, after=deps, outbox=checker.outbox)
        self.loop = DrainLoop(self.ring, cg)
        upstream = {d for _, deps in graph for d in deps}
        self.leaves = [name for name, _ in graph if name not in upstream]

    # --- model helpers ------------------------------------------------------------------------
    def cursor(self) -> int:
        return self.first_seq - 1 + len(self.model)

    def fits(self, n: int) -> bool:
        slowest = min(self.checkers[leaf].last for leaf in self.leaves)
        return self.cursor() + n - self.ring.capacity <= slowest

    def inputs(self, n: int) -> np.ndarray:
        r = np.zeros(n, dtype=RECORD_DTYPE)
        r["ts_event"] = np.arange(self.next_id, self.next_id + n)
        return r

    def accept(self, recs: np.ndarray) -> None:
        self.model.extend(recs["ts_event"].tolist())
        self.next_id += len(recs)

    # --- rules --------------------------------------------------------------------------------
    @rule(n=st.integers(1, 40))
    def publish_bulk(self, n: int) -> None:
        recs = self.inputs(n)
        if n > self.ring.capacity:
            with pytest.raises(RingConfigError):
                self.ring.publish_records(recs)
        elif self.fits(n):
            before = self.cursor()
            self.accept(recs)
            assert self.ring.publish_records(recs) == (before + 1, before + n)
        else:
            with pytest.raises(RingFullError):
                self.ring.publish_records(recs)

    @rule()
    def publish_single(self) -> None:
        recs = self.inputs(1)
        if self.fits(1):
            self.accept(recs)
            assert self.ring.publish_record(recs[0]) == self.cursor()
        else:
            with pytest.raises(RingFullError):
                self.ring.publish_record(recs[0])

    @rule(n=st.integers(1, 8))
    def claim_write_publish(self, n: int) -> None:
        if n > self.ring.capacity or not self.fits(n):
            return
        recs = self.inputs(n)
        first = self.ring.claim(n)
        assert first == self.cursor() + 1
        done = 0
        for part in self.ring.slots(first, n):
            part["seq"] = np.arange(first + done, first + done + len(part))
            part["ts_event"] = recs["ts_event"][done : done + len(part)]
            done += len(part)
        self.accept(recs)
        self.ring.publish(first + n - 1)

    @rule(index=st.integers(0, 4), limit=st.integers(0, 9))
    def step_consumer(self, index: int, limit: int) -> None:
        name = sorted(self.checkers)[index % len(self.checkers)]
        consumer = self.loop.consumer(name)
        before = self.checkers[name].last
        n = consumer.consume(limit)
        assert self.checkers[name].last == before + n
        if limit:
            assert n <= limit

    @rule()
    def drain(self) -> None:
        self.loop.drain()
        assert all(c.last == self.cursor() for c in self.checkers.values())

    @rule()
    def publish_one_then_drain(self) -> None:
        recs = self.inputs(1)
        if self.fits(1):
            seq = self.cursor() + 1
            self.accept(recs)
            assert self.ring.publish_record(recs[0]) == seq
            self.loop.drain()
            assert all(c.last == self.cursor() for c in self.checkers.values())
        else:
            with pytest.raises(RingFullError):
                self.ring.publish_record(recs[0])

    # --- invariants ---------------------------------------------------------------------------
    @invariant()
    def cursor_matches_the_model(self) -> None:
        assert self.ring.cursor == self.cursor()

    @invariant()
    def unfinished_slots_are_intact(self) -> None:
        slowest = min(c.last for c in self.checkers.values())
        lo = max(slowest + 1, self.cursor() - self.ring.capacity + 1, self.first_seq)
        if lo <= self.cursor():
            got = np.concatenate(self.ring.views(lo, self.cursor()))["ts_event"].tolist()
            assert got == self.model[lo - self.first_seq :]

    @invariant()
    def no_consumer_passes_a_dependency_or_the_cursor(self) -> None:
        for c in self.checkers.values():
            assert c.last <= self.cursor()
            for dep in c.deps:
                assert c.last <= self.checkers[dep].last


TestRingMachine = RingMachine.TestCase
