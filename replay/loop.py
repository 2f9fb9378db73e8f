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
- the kernel drains after each publish and flushes the journal after each drain;
- ``on_publish(n)``, when given, is called after every publish (the ring drained) with ``n`` =
  the number of inputs of ``chunks`` published so far: the point where a node may snapshot and
  from which it resumes the same stream after a crash (skip ``n`` inputs).
"""

from __future__ import annotations

import struct
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable

import attrs
import numpy as np

from domain.kinds import RECORD_DTYPE
from engines.kernel import Kernel
from engines.routing import INSTRUMENT_OFFSETS, instrument_ids, uniform_key

#: chunks up to this many records are decided record by record (a live node's takes)
SMALL_CHUNK = 8
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


def run(kernel: Kernel, chunks: Iterable[np.ndarray], stats: LoopStats | None = None,
        on_publish: Callable[[int], None] | None = None) -> LoopStats:
    """Publishes every chunk's records through ``kernel``; returns counts of what it did."""
    stats = stats or LoopStats()
    base = 0  # inputs of earlier chunks, all published
    sched = kernel.scheduler
    next_due = sched.next_due_ns
    ctx = kernel.ctx
    publish_one = kernel.publish_one
    memo: dict[int, bool] = {}
    memo_version = ctx.reaction_version

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
        if n <= SMALL_CHUNK:  # a live take: numpy's per-call cost beats the work here
            reacts = [decide(k) for k in _small_keys(mem, n)]
            hits = [k for k, hit in enumerate(reacts) if hit]
        else:
            mask = reaction_mask(kernel, records, memo)
            hits = np.flatnonzero(mask).tolist()  # the records some component reacts to
            reacts = mask.tolist() if len(hits) > n >> 3 else None
        ts_list = ts.tolist() if reacts is not None else None
        valid = True
        hp = 0  # hits[hp] is the first reacting index >= i
        keys: list[int] = []
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
                publish_one(mem[i << 7 : (i + 1) << 7])
                singles += 1
                i += 1
                if on_publish is not None:
                    on_publish(base + i)
                if valid and reacts is not None:
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
