"""THE replay loop: feeds INPUT records to a kernel, one at a time whenever anything reacts.

Design contract (DESIGN.md "Causality beats batching", docs/architecture.md):
- inputs are published in the order given (sources sort them by ts_init); the INPUT flag is
  taken as given;
- before an input with ``ts_init = t`` every scheduled record due at ``<= t`` is published (ties
  go to the scheduled record), one at a time, in the scheduler's deterministic order;
- an input that some engine or strategy ``reacts_to`` (by kind and instrument) is published alone
  and drained before the next, so its reactions get the seqs right after it; a run of inputs that
  nobody reacts to, all before the next scheduled record, is published as one batch. The decision
  is vectorised over each chunk's (kind, instrument) pairs and redone when a component's
  subscriptions change (``ctx.reaction_version``);
- quiet runs (:mod:`engines.quiet`): where a reacted input would be published alone and every
  reactor of its route implements the protocol, the run of inputs with its key (before the next
  due scheduled record, within the chunk, at most ``QUIET_MAX``) is offered to the reactors'
  ``quiet_count``; the least answer ``k`` of them is published as one quiet batch
  (:meth:`engines.kernel.Kernel.publish_quiet`), then the input after it alone, as before.
  Same journal, seqs and state as one by one; ``quiet_span(first_seq, ts)`` (a snapshotter's,
  given with ``on_publish``) cuts a run where a publish point of the one-by-one path matters;
- the kernel drains after each publish and flushes the journal after each drain;
- ``on_publish(n)``, when given, is called after every publish (the ring drained) with ``n`` =
  the number of inputs of ``chunks`` published so far: the point where a node may snapshot and
  from which it resumes the same stream after a crash (skip ``n`` inputs).
"""

from __future__ import annotations

import struct
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from typing import Any

import attrs
import numpy as np

from domain.kinds import RECORD_DTYPE
from engines.kernel import Kernel
from engines.quiet import QuietColumns, QuietRun
from engines.routing import INSTRUMENT_OFFSETS, instrument_ids, uniform_key

#: chunks up to this many records are decided record by record (a live node's takes)
SMALL_CHUNK = 8
#: the longest quiet batch (well inside any ring; a lagging journal keeps room for it)
QUIET_MAX = 4096
#: a shorter run is published record by record (the batch's fixed cost exceeds the saving)
QUIET_MIN = 2
_KIND_AT = RECORD_DTYPE.fields["kind"][1]
_U2 = struct.Struct("<H").unpack_from
_U4 = struct.Struct("<I").unpack_from


@attrs.define
class LoopStats:
    """What a run of the loop did."""

    inputs: int = 0
    batches: int = 0
    one_at_a_time: int = 0
    scheduled: int = 0
    quiet_batches: int = 0
    quiet_inputs: int = 0


def reaction_mask(kernel: Kernel, records: np.ndarray, memo: dict[int, bool]) -> np.ndarray:
    """Returns, per record, whether some running engine or strategy may react to it."""
    n = len(records)
    if n == 0 or kernel.mode == "rebuild":
        return np.zeros(n, dtype=bool)
    only = uniform_key(records)
    if only is not None:  # the usual chunk: one kind of one instrument
        v = memo.get(only)
        if v is None:
            v = memo[only] = kernel.reacts_to(only >> 32, only & 0xFFFFFFFF)
        return np.full(n, v, dtype=bool)
    keys = (records["kind"].astype(np.uint64) << np.uint64(32)) | instrument_ids(records)
    uniq, inverse = np.unique(keys, return_inverse=True)
    verdict = np.empty(len(uniq), dtype=bool)
    for j, key in enumerate(uniq.tolist()):
        v = memo.get(key)
        if v is None:
            v = memo[key] = kernel.reacts_to(key >> 32, key & 0xFFFFFFFF)
        verdict[j] = v
    return verdict[inverse]


def _small_keys(mem: memoryview, n: int) -> list[int]:
    """Returns the (kind << 32 | instrument id) key of each of ``n`` records in ``mem`` (the
    same keys as :func:`_keys`), read with ``struct`` (no numpy)."""
    keys = []
    for off in range(0, n << 7, 128):
        kind = _U2(mem, off + _KIND_AT)[0]
        at = INSTRUMENT_OFFSETS.get(kind)
        keys.append(kind << 32 | (_U4(mem, off + at)[0] if at is not None else 0))
    return keys


def _keys(records: np.ndarray) -> list[int]:
    return ((records["kind"].astype(np.uint64) << np.uint64(32))
            | instrument_ids(records).astype(np.uint64)).tolist()


class _QuietRuns:
    """The loop's quiet runs (see the module contract): per chunk, :meth:`step` at a reacted
    input publishes the quiet prefix of its run as one batch and the input after it alone."""

    def __init__(self, kernel: Kernel, stats: LoopStats,
                 on_publish: Callable[[int], None] | None,
                 quiet_span: Callable[[int, list[int]], int] | None) -> None:
        self.kernel = kernel
        self.stats = stats
        self.on_publish = on_publish
        self.quiet_span = quiet_span
        self.cap = max(1, min(QUIET_MAX, kernel.ring.capacity >> 2))
        #: per key, the reactors of its route when quiet runs apply to it (else None), valid
        #: while ``ctx.reaction_version`` is ``version``
        self.memo: dict[int, tuple[Any, ...] | None] = {}
        self.version = -1
        self.singles = 0
        #: whether the last :meth:`step` found a route that quiet runs apply to
        self.applies = False
        self.records: np.ndarray = np.empty(0, dtype=RECORD_DTYPE)
        self.mem = memoryview(b"")
        self.keys: list[int] = []
        self.uniform: int | None = None
        self.ts_list: list[int] | None = None
        self.columns = QuietColumns(self.records)
        self.base = 0

    def chunk(self, records: np.ndarray, mem: memoryview, keys: list[int],
              ts_list: list[int] | None, base: int) -> None:
        """Starts a chunk (``keys``: its per-record keys when known, else computed on need)."""
        self.records, self.mem, self.keys, self.ts_list, self.base = \
            records, mem, keys, ts_list, base
        self.uniform = uniform_key(records) if not keys else None
        self.columns = QuietColumns(records)

    def reactors(self, key: int) -> tuple[Any, ...] | None:
        kernel = self.kernel
        if kernel.ctx.reaction_version != self.version:
            self.memo.clear()
            self.version = kernel.ctx.reaction_version
        if key in self.memo:
            return self.memo[key]
        found = self.memo[key] = kernel.quiet_reactors(key >> 32, key & 0xFFFFFFFF)
        return found

    def step(self, i: int, due: int | None) -> int:
        """At reacted input ``i`` (nothing due before it): publishes its run's quiet prefix and
        the input after it; returns the next index (``i`` itself: no quiet run here)."""
        self.singles = 0
        records, n = self.records, len(self.records)
        key = self.uniform
        if key is None:
            if not self.keys:
                self.keys = _keys(records)
            key = self.keys[i]
        reactors = self.reactors(key)
        self.applies = reactors is not None
        if reactors is None:
            return i
        end = min(n, i + self.cap)
        ts_list = self.ts_list
        if due is not None:
            end = bisect_left(ts_list, due, i, end) if ts_list is not None else \
                min(end, int(np.searchsorted(records["ts_init"], due, side="left")))
        if self.uniform is None:
            keys = self.keys
            j = i + 1
            while j < end and keys[j] == key:
                j += 1
            end = j
        kernel = self.kernel
        if self.quiet_span is not None and end - i >= QUIET_MIN:
            ts = ts_list[i:end] if ts_list is not None else records["ts_init"][i:end].tolist()
            end = i + max(1, self.quiet_span(kernel.ring.cursor + 1, ts))
        if end - i < QUIET_MIN:
            return i
        kind = key >> 32
        ctx = kernel.ctx
        run_ = QuietRun(self.columns, kind, i, end)
        k = end - i
        for comp in reversed(reactors):  # strategies (last) usually answer shortest
            answer = comp.quiet_count(kind, run_, ctx)
            if answer <= 0:
                return i
            if answer < k:  # the next ones are asked about the shorter run (a new object)
                k = answer
                run_ = run_.head(k)
        kernel.publish_quiet(self.mem[i << 7 : (i + k) << 7], run_, reactors)
        self.stats.quiet_batches += 1
        self.stats.quiet_inputs += k
        i += k
        on_publish = self.on_publish
        if on_publish is not None:
            on_publish(self.base + i)
        if i < end:  # the input that is not quiet (or past a cut), alone as before
            mem = self.mem
            kernel.publish_one(mem[i << 7 : (i + 1) << 7])
            self.singles = 1
            i += 1
            if on_publish is not None:
                on_publish(self.base + i)
        return i


def run(kernel: Kernel, chunks: Iterable[np.ndarray], stats: LoopStats | None = None,
        on_publish: Callable[[int], None] | None = None,
        quiet_span: Callable[[int, list[int]], int] | None = None) -> LoopStats:
    """Publishes every chunk's records through ``kernel``; returns counts of what it did.

    ``quiet_span(first_seq, ts)``: how many leading inputs of a quiet run (their seqs from
    ``first_seq``, their ``ts_init``) may go as one batch without passing a point where
    ``on_publish`` would act (e.g. :meth:`replay.recovery.Snapshotter.quiet_span`)."""
    stats = stats or LoopStats()
    base = 0  # inputs of earlier chunks, all published
    sched = kernel.scheduler
    next_due = sched.next_due_ns
    ctx = kernel.ctx
    publish_one = kernel.publish_one
    memo: dict[int, bool] = {}
    memo_version = ctx.reaction_version
    quiet = _QuietRuns(kernel, stats, on_publish, quiet_span) \
        if kernel.quiet_runs and kernel.mode != "rebuild" else None

    def decide(key: int) -> bool:
        v = memo.get(key)
        if v is None:
            v = memo[key] = kernel.reacts_to(key >> 32, key & 0xFFFFFFFF)
        return v

    for chunk in chunks:
        records = chunk if chunk.dtype == RECORD_DTYPE else chunk.view(RECORD_DTYPE)
        records = np.ascontiguousarray(records)
        n = len(records)
        stats.inputs += n
        mem = memoryview(records.view(np.uint8))  # one record = mem[i << 7 : (i + 1) << 7]
        ts = records["ts_init"]
        i = 0
        if ctx.reaction_version != memo_version:
            memo.clear()
            memo_version = ctx.reaction_version
        # The vectorised verdicts hold until some component's answers change (``valid``); after
        # that the rest of the chunk is decided record by record from the (cheap, memoised)
        # answers. Held as a list per record when many records are reacted to (each is then
        # published alone), else as the reacting indices only (few steps through the chunk).
        keys: list[int] = []
        if n <= SMALL_CHUNK:  # a live take: numpy's per-call cost beats the work here
            keys = _small_keys(mem, n)
            reacts = [decide(k) for k in keys]
            hits = [k for k, hit in enumerate(reacts) if hit]
        else:
            mask = reaction_mask(kernel, records, memo)
            hits = np.flatnonzero(mask).tolist()  # the records some component reacts to
            reacts = mask.tolist() if len(hits) > n >> 3 else None
        ts_list = ts.tolist() if reacts is not None else None
        if quiet is not None and hits:  # keys: a small chunk's, else computed on need
            quiet.chunk(records, mem, keys, ts_list, base)
        valid = True
        hp = 0  # hits[hp] is the first reacting index >= i
        singles = 0
        while i < n:
            t = ts_list[i] if ts_list is not None else int(ts[i])
            due = next_due()
            while due is not None and due <= t:
                publish_one(sched.pop_due(t))
                stats.scheduled += 1
                if on_publish is not None:
                    on_publish(base + i)
                due = next_due()
            if ctx.reaction_version != memo_version:
                memo.clear()
                memo_version = ctx.reaction_version
                if not keys:
                    keys = _keys(records)
                valid = False
            if not valid:
                hit = decide(keys[i])
            elif reacts is not None:
                hit = reacts[i]
            else:
                hp = bisect_left(hits, i, hp)
                hit = hp < len(hits) and hits[hp] == i
            if hit:
                if quiet is not None:
                    j = quiet.step(i, due)
                    if j != i:
                        singles += quiet.singles
                        i = j
                        continue
                publish_one(mem[i << 7 : (i + 1) << 7])
                singles += 1
                i += 1
                if on_publish is not None:
                    on_publish(base + i)
                if valid and reacts is not None and (quiet is None or not quiet.applies):
                    # a strategy's quotes: every record reacted to, each published alone; stay
                    # here while nothing is due and no component's answers changed
                    while i < n and reacts[i] and ctx.reaction_version == memo_version:
                        due = next_due()
                        if due is not None and due <= ts_list[i]:  # type: ignore[index]
                            break
                        publish_one(mem[i << 7 : (i + 1) << 7])
                        singles += 1
                        i += 1
                        if on_publish is not None:
                            on_publish(base + i)
                continue
            j = i + 1
            limit = n if due is None else int(np.searchsorted(ts, due, side="left"))
            if valid:  # up to the next record reacted to (by the chunk's verdicts)
                k = bisect_right(hits, i)
                j = min(hits[k] if k < len(hits) else n, limit)
            else:
                while j < limit and not decide(keys[j]):
                    j += 1
            if j == i + 1:
                publish_one(mem[i << 7 : (i + 1) << 7])
                singles += 1
            else:
                kernel.publish(records[i:j])
                stats.batches += 1
            i = j
            if on_publish is not None:
                on_publish(base + i)
        stats.one_at_a_time += singles
        base += n
    return stats


def run_until(kernel: Kernel, ts_ns: int, stats: LoopStats | None = None) -> LoopStats:
    """Publishes the scheduled records due at or before ``ts_ns`` (e.g. at the end of data)."""
    stats = stats or LoopStats()
    while (rec := kernel.scheduler.pop_due(ts_ns)) is not None:
        kernel.publish_one(rec)
        stats.scheduled += 1
    return stats
