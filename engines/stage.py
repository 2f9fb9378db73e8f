"""Stages: the ring consumers ``state``, ``engines`` and ``strategies`` that dispatch by kind.

Design contract:
- a stage holds components in registration order; each record goes to every component whose
  ``handles`` holds its kind, in that order, as one decoded raw namedtuple (decoded once per
  drain: stages that see the same seq range reuse the previous stage's tuples);
- before each handler call ``ctx.now_ns``/``ctx.current_seq`` are the record's; emits go to the
  stage's outbox (the ``state`` stage has none: reducers never emit);
- a long batch (``BATCH_MIN`` records or more) is split into runs: records of kinds every handler
  in the stage takes in batch form (``Reducer.batch_kinds``) go to ``apply_batch`` as numpy views,
  the rest one at a time; in reactor stages, records of (kind, instrument) pairs no component
  ``reacts_to`` are skipped without decoding;
- a reactor gets records only while running (RUNNING or DEGRADED), a reducer until disposed or
  faulted (state is a fold over the whole log); the kernel calls
  :meth:`Stage.refresh` after lifecycle changes.

Hot path: ``on_batch`` with one record (the one-at-a-time path), measured by
``perf/backtest_quotes.py``.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from domain.codec import RAW_STRUCTS, RAW_TUPLES, RecordError
from domain.kinds import KIND_DTYPES
from engines.component import Component, ComponentState, Reducer
from engines.context import KernelContext
from engines.routing import instrument_ids

BATCH_MIN = 32
_KIND = struct.Struct("<H")
_SEQ = struct.Struct("<Q")
_DECODERS: dict[int, tuple[Any, Any]] = {
    k: (RAW_TUPLES[k]._make, RAW_STRUCTS[k].unpack_from) for k in KIND_DTYPES
}


class DecodeMemo:
    """The tuples of the last decoded range, shared by the stages of one kernel."""

    __slots__ = ("first_seq", "recs", "kinds")

    def __init__(self) -> None:
        self.first_seq = -1
        self.recs: list[Any] = []
        self.kinds: frozenset[int] = frozenset()


def decode_all(data: bytes, n: int, wanted: frozenset[int]) -> list[Any]:
    """Decodes the records of ``wanted`` kinds in ``data``; None for the others."""
    out: list[Any] = []
    append = out.append
    kind_at = _KIND.unpack_from
    decoders = _DECODERS
    for off in range(0, n << 7, 128):
        (kind,) = kind_at(data, off + 32)
        if kind in wanted:
            make, unpack = decoders[kind]
            append(make(unpack(data, off)))
        elif kind in decoders:
            append(None)
        else:
            (seq,) = _SEQ.unpack_from(data, off)
            raise RecordError(f"seq {seq}: unknown record kind {kind}")
    return out


class Stage:
    """One ring consumer that dispatches decoded records to its components by kind."""

    def __init__(
        self, name: str, ctx: KernelContext, outbox: Any, memo: DecodeMemo, reactors: bool
    ) -> None:
        self.name = name
        self.components: list[Component] = []
        self._ctx = ctx
        self._outbox = outbox
        self._memo = memo
        self._reactors = reactors
        self._table: dict[int, tuple[Any, ...]] = {}
        self._batchable: frozenset[int] = frozenset()
        self._batch_handlers: tuple[Any, ...] = ()
        self.wanted: frozenset[int] = frozenset()
        self._shared: frozenset[int] = frozenset()
        self._decode_kinds: frozenset[int] = frozenset()
        self._wants_cache: dict[int, bool] = {}
        self._wants_version = -1
        self.records_seen = 0

    def add(self, component: Component) -> None:
        """Registers ``component`` (after those already registered) and refreshes the table."""
        self.components.append(component)
        self.refresh()

    def refresh(self) -> None:
        """Rebuilds the dispatch table from the running components' handlers."""
        table: dict[int, list[Any]] = {}
        batch_ok: dict[int, bool] = {}
        batch_handlers = []
        for comp in self.components:
            if not _receives(comp):
                continue
            handlers = component_handlers(comp)
            batch_kinds = set(getattr(comp, "batch_kinds", ()))
            if batch_kinds:
                batch_handlers.append(comp.apply_batch)  # type: ignore[attr-defined]
            for kind, fn in handlers.items():
                table.setdefault(kind, []).append(fn)
                batch_ok[kind] = batch_ok.get(kind, True) and kind in batch_kinds
        self._table = {k: tuple(v) for k, v in table.items()}
        self._batchable = frozenset(k for k, ok in batch_ok.items() if ok)
        self._batch_handlers = tuple(batch_handlers)
        self.wanted = frozenset(self._table)
        self._decode_kinds = self._shared | self.wanted

    # --- the consumer --------------------------------------------------------------------------------
    def on_batch(self, batch: np.ndarray) -> None:
        """Dispatches every record of ``batch`` (a RECORD_DTYPE view of the ring) in seq order."""
        n = len(batch)
        self.records_seen += n
        if not self._table:
            return
        if n >= BATCH_MIN:
            self._on_long_batch(batch)
            return
        data = batch.tobytes()
        (seq0,) = _SEQ.unpack_from(data, 0)
        memo = self._memo
        recs = memo.recs
        if memo.first_seq != seq0 or len(recs) < n or not (
            memo.kinds is self._decode_kinds or memo.kinds >= self.wanted
        ):
            recs = decode_all(data, n, self._decode_kinds)
            memo.first_seq = seq0
            memo.recs = recs
            memo.kinds = self._decode_kinds
        elif len(recs) != n:
            recs = recs[:n]
        self._dispatch(recs)

    def share_wanted(self, all_wanted: frozenset[int]) -> None:
        """Sets the kinds every stage decodes, so later stages reuse an earlier stage's tuples."""
        self._shared = all_wanted
        self._decode_kinds = all_wanted | self.wanted

    def _dispatch(self, recs: list[Any]) -> None:
        ctx = self._ctx
        table = self._table
        ctx.enter_stage(self.name, self._outbox)
        try:
            for rec in recs:
                if rec is None:
                    continue
                handlers = table.get(rec.kind)
                if handlers is None:
                    continue
                ctx.current_seq = rec.seq
                ctx.now_ns = rec.ts_init
                for handler in handlers:
                    handler(rec, ctx)
        finally:
            ctx.leave_stage()

    def _on_long_batch(self, batch: np.ndarray) -> None:
        kinds = batch["kind"]
        handled = np.isin(kinds, np.fromiter(self._table, dtype=np.uint16))
        if self._reactors and handled.any():
            handled &= self._wanted_mask(batch, kinds)
        batchable = handled & np.isin(kinds, np.fromiter(self._batchable, dtype=np.uint16)) \
            if self._batchable else np.zeros(len(batch), dtype=bool)
        single = handled & ~batchable
        if not single.any():
            if batchable.any():
                self._apply_run(batch)
            return
        idx = np.flatnonzero(single)
        data = batch.tobytes()
        pos = 0
        for i in idx.tolist():
            if i > pos and batchable[pos:i].any():
                self._apply_run(batch[pos:i])
            self._dispatch(decode_all(data[i * 128 : (i + 1) * 128], 1, self.wanted))
            pos = i + 1
        if pos < len(batch) and batchable[pos:].any():
            self._apply_run(batch[pos:])

    def _apply_run(self, run: np.ndarray) -> None:
        ctx = self._ctx
        last = run[-1]
        ctx.current_seq = int(last["seq"])
        ctx.now_ns = int(last["ts_init"])
        ctx.enter_stage(self.name, self._outbox)
        try:
            for apply_batch in self._batch_handlers:
                apply_batch(run, ctx)
        finally:
            ctx.leave_stage()

    def _wanted_mask(self, batch: np.ndarray, kinds: np.ndarray) -> np.ndarray:
        """Marks records whose (kind, instrument) some component of this stage reacts to."""
        ctx = self._ctx
        if self._wants_version != ctx.reaction_version:
            self._wants_cache.clear()
            self._wants_version = ctx.reaction_version
        keys = (kinds.astype(np.uint64) << np.uint64(32)) | instrument_ids(batch).astype(np.uint64)
        uniq, inverse = np.unique(keys, return_inverse=True)
        cache = self._wants_cache
        verdict = np.empty(len(uniq), dtype=bool)
        for j, key in enumerate(uniq.tolist()):
            v = cache.get(key)
            if v is None:
                v = cache[key] = self.reacts_to(key >> 32, key & 0xFFFFFFFF)
            verdict[j] = v
        return verdict[inverse]

    def reacts_to(self, kind: int, instrument_id: int) -> bool:
        """Returns True when some running component of this stage may react to the pair."""
        if kind not in self._table:
            return False
        if not self._reactors:
            return True
        return any(
            c.is_running and kind in component_handlers(c) and c.reacts_to(kind, instrument_id)  # type: ignore[attr-defined]
            for c in self.components
        )


def _receives(comp: Component) -> bool:
    # A reducer folds every record whatever its lifecycle (the state is a fold over the whole
    # log), until it is disposed or faulted; reactors only react while running.
    if isinstance(comp, Reducer):
        return comp.state not in (ComponentState.DISPOSED, ComponentState.FAULTED)
    return comp.is_running


def component_handlers(comp: Component) -> dict[int, Any]:
    """Returns ``{kind: fn(rec, ctx)}`` for a component: its ``handlers()`` if it defines one,
    else ``apply`` (reducers) or ``react`` (reactors) for every kind in ``handles``."""
    custom = getattr(comp, "handlers", None)
    if custom is not None:
        return dict(custom())
    fn = comp.apply if isinstance(comp, Reducer) else comp.react  # type: ignore[attr-defined]
    return {int(k): fn for k in comp.handles}  # type: ignore[attr-defined]
