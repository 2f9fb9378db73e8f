"""The fused kernel consumer: per record, the ``state`` stage, then ``engines``, then ``strategies``.

Design contract:
- the kernel has ONE ring consumer after the journal (named ``kernel``); for each record in seq
  order it calls the state reducers, then the engine reactors, then the strategies, so every
  reactor and strategy sees the state as of the record it handles (docs/architecture.md);
- market data (:data:`MARKET_DATA`), the venue first: when the engine reactors emit for a
  market-data INPUT that is the last record published (the replay loop publishes such an input
  alone), the strategies' handlers of it are not called then but queued in :attr:`deferred`
  with the record; the kernel calls them once the cascade of what the engines emitted has
  settled (the ring drained, the outbox empty), with ``ctx.current_seq`` / ``ctx.now_ns`` set to
  the input's, so what they emit is caused by the input and sequenced after that cascade. A
  strategy sees a quote with the fills it caused applied (as NautilusTrader's backtest);
- before each record's handlers ``ctx.now_ns`` / ``ctx.current_seq`` are the record's; reducers
  run with emitting forbidden (``EmitNotAllowed``), reactors emit into the context's default
  outbox, which is this consumer's: the drain loop (or the kernel's publish-one path) publishes
  it after the batch;
- routing is by ``(kind, instrument_id)``: a reactor is called only for pairs it ``reacts_to``
  (answers cached until ``ctx.reaction_version`` changes; only the routes of the kinds the
  change named, when it named them, and only the named component re-asked, when it was named:
  ``ctx.reaction_changes_since``); a record nobody handles is not decoded; a record is decoded
  once (one raw namedtuple shared by every handler);
- a batch of ``BATCH_MIN`` records or more goes through the vectorised path: runs of records of
  kinds every reducer takes in batch form and no reactor reacts to go to the reducers'
  ``apply_batch`` as one numpy view; the others are handled one at a time, in seq order;
- a record of a kind the schema does not know raises RecordError naming its seq.

Hot path: :meth:`KernelConsumer.handle` (one record read straight from the ring's memory, called
by the kernel's ``publish_one``), timed by ``perf/backtest_quotes.py``.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from domain.codec import KIND_OFFSET, RecordError
from domain.enums import RecordFlag
from domain.kinds import Kind
from domain.schema import HEADER_FIELDS
from engines.component import Reducer
from engines.context import KernelContext
from engines.quiet import implements
from engines.routing import INSTRUMENT_OFFSETS, instrument_ids, uniform_key
from engines.stage import BATCH_MIN, DECODERS, Stage

if HEADER_FIELDS[0][0] != "seq" or HEADER_FIELDS[2][0] != "ts_init":  # ``handle`` reads them by position
    raise RuntimeError(f"record header changed: {[f[0] for f in HEADER_FIELDS]}")
_U4 = struct.Struct("<I").unpack_from
_SEQ = struct.Struct("<Q").unpack_from
#: The kind and the u4 words at bytes 40 and 48 (where most kinds keep ``instrument_id``), read
#: with one unpack from the kind's offset; ``_IID_AT[kind]`` says which word is the instrument
#: (1 or 2), 0 for a kind without one (or unknown), -1 for one elsewhere (read by ``_U4``).
_HEAD = struct.Struct("<H6xI4xI").unpack_from
_HEAD_WORDS = {40: 1, 48: 2}
if KIND_OFFSET != 32:
    raise RuntimeError(f"record header changed: kind at byte {KIND_OFFSET}, not 32")
_IID_AT = {kind: _HEAD_WORDS.get(off, -1) for kind, off in INSTRUMENT_OFFSETS.items()}
#: A route: (reducer handlers, reactor handlers, namedtuple maker, struct unpack_from, the
#: strategies' handlers when they wait for the engines' consequences, else None); the decoder is
#: None when no handler takes the pair (the record is not decoded). With the fifth element set,
#: the second holds the engine reactors only.
_Route = tuple[tuple[Any, ...], tuple[Any, ...], Any, Any, tuple[Any, ...] | None]
_NOTHING: _Route = ((), (), None, None, None)
#: Market data: a strategy sees such a record once the engines' consequences of it (the simulated
#: exchange's fills, the emulator's triggers) are applied (see the module contract).
MARKET_DATA = frozenset({int(Kind.QUOTE), int(Kind.TRADE), int(Kind.BAR), int(Kind.BOOK_DELTA)})
#: A quiet run at least this long goes to the reducers' batch form (when its kind is batchable):
#: as a batch of the general path (8 and 16 measured no different on ema_cross).
QUIET_BATCH_MIN = BATCH_MIN
_UNASKED: Any = object()
_INPUT = int(RecordFlag.INPUT)


def _route_of(kind: int, reducers: tuple[Any, ...], entries: tuple[tuple[Any, Any], ...],
              answers: tuple[bool, ...], n_engines: int) -> _Route:
    """The route of a kind given its candidates and their answers (``KernelConsumer._route``);
    the first ``n_engines`` entries are the engine reactors', the rest the strategies'. For
    market data that both engines and strategies react to, the strategies' handlers are the
    route's fifth element (they may wait for the engines' consequences)."""
    engines = tuple([fn for (_, fn), yes in zip(entries[:n_engines], answers[:n_engines],
                                                 strict=True) if yes])
    strategies = tuple([fn for (_, fn), yes in zip(entries[n_engines:], answers[n_engines:],
                                                    strict=True) if yes])
    if not (reducers or engines or strategies):
        return _NOTHING
    if kind in MARKET_DATA and engines and strategies:
        return (reducers, engines, *DECODERS[kind], strategies)
    return (reducers, engines + strategies, *DECODERS[kind], None)


def _instrument_at(mem: Any, off: int, kind: int) -> int:
    """The instrument id of the record at ``off`` (0 for a kind without one)."""
    at = INSTRUMENT_OFFSETS.get(kind)
    return _U4(mem, off + at)[0] if at is not None else 0


class KernelConsumer:
    """One ring consumer that runs the kernel's stages per record (see the module contract)."""

    def __init__(self, ctx: KernelContext, stages: list[Stage], outbox: Any) -> None:
        if not stages or stages[0].reactors:
            raise ValueError("stages must start with the reducer stage ('state')")
        self._ctx = ctx
        self._state = stages[0]
        self._reactor_stages = tuple(stages[1:])
        self.outbox = outbox
        self._routes: dict[int, _Route] = {}
        #: Per cached route, each candidate reactor's answer (``_candidates`` order).
        self._answers: dict[int, tuple[bool, ...]] = {}
        #: The cached routes' keys per kind.
        self._keys: dict[int, list[int]] = {}
        #: Per kind: (the reducers' handlers, every reactor stage's (component, handler) in stage
        #: order, how many of those are the ``engines`` stage's).
        self._candidates: dict[int, tuple[tuple[Any, ...], tuple[tuple[Any, Any], ...], int]] = {}
        #: Strategies' reactions to market data waiting for the engines' consequences: (handlers,
        #: record), in seq order; run by the kernel once the cascade settles
        #: (``Kernel._run_deferred``).
        self.deferred: list[tuple[tuple[Any, ...], Any]] = []
        self._version = -1
        self._iid_at = dict(INSTRUMENT_OFFSETS)
        self._kinds: frozenset[int] = frozenset()
        self._known = np.fromiter(sorted(DECODERS), dtype=np.uint16)
        #: ``quiet_reactors`` per (kind, the candidates' answers).
        self._quiet: dict[tuple[int, tuple[bool, ...]], tuple[Any, ...] | None] = {}
        #: per kind, the state stage's ``last_stands`` predicates when every reducer of the
        #: kind overrides it (else None): ``reduce_quiet`` may then apply the last record only
        self._last_stands: dict[int, tuple[Any, ...] | None] = {}

    def refresh(self) -> None:
        """Forgets cached routes (call after the stages' tables changed)."""
        self._routes.clear()
        self._answers.clear()
        self._keys.clear()
        self._candidates.clear()
        self._quiet.clear()
        self._last_stands.clear()
        kinds: set[int] = set(self._state.table)
        for stage in self._reactor_stages:
            kinds.update(stage.table)
        self._kinds = frozenset(kinds)
        self._version = -1

    # --- routing ---------------------------------------------------------------------------------
    def route(self, kind: int, instrument_id: int) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """Returns (reducer handlers, reactor handlers) for a record of ``(kind, instrument_id)``."""
        reducers, reactors, _, _, late = self._route(kind, instrument_id)
        return reducers, reactors + late if late else reactors

    def _route(self, kind: int, instrument_id: int) -> _Route:
        """:meth:`route` with the kind's decoder (None when nothing handles the pair), cached."""
        ctx = self._ctx
        if ctx.reaction_version != self._version:
            self._forget(ctx)
        key = kind << 32 | instrument_id
        found = self._routes.get(key)
        if found is not None:
            return found
        candidates = self._candidates.get(kind)
        if candidates is None:
            candidates = self._candidates[kind] = self._candidates_of(kind)
        # as ``Stage.handlers_for`` per stage, in stage order: the reactors that react to the pair
        answers = tuple([bool(comp.reacts_to(kind, instrument_id)) for comp, _ in candidates[1]])
        self._answers[key] = answers
        self._keys.setdefault(kind, []).append(key)
        reducers, entries, n_engines = candidates
        found = self._routes[key] = _route_of(kind, reducers, entries, answers, n_engines)
        return found

    def _candidates_of(self, kind: int) -> tuple[tuple[Any, ...], tuple[tuple[Any, Any], ...], int]:
        """Returns (the reducers' handlers, every reactor stage's (component, handler) in stage
        order, how many of them are the ``engines`` stage's) for ``kind``: what a route of the
        kind is chosen from (the stages' tables change only with :meth:`refresh`)."""
        reducers = self._state.handlers_for(kind, 0)  # a reducer takes every instrument
        entries: tuple[tuple[Any, Any], ...] = ()
        n_engines = 0
        for stage in self._reactor_stages:
            entries += stage.table.get(kind, ())
            if stage.name == "engines":
                n_engines = len(entries)
        return reducers, entries, n_engines

    def _forget(self, ctx: KernelContext) -> None:
        """Brings the routes up to the reaction changes since the version they were made at:
        every route is dropped, unless the changes named their kinds; a named kind's routes are
        dropped, or, when the change named its component (an exchange whose open orders
        changed), only that component is asked again (changes in order: a later one sees what
        an earlier one left)."""
        changes = ctx.reaction_changes_since(self._version) if self._version >= 0 else None
        self._version = ctx.reaction_version
        if changes is None:
            self._routes.clear()
            self._answers.clear()
            self._keys.clear()
            return
        keys_of = self._keys
        for kinds, source in changes:
            for kind in kinds:
                keys = keys_of.get(kind)
                if not keys:
                    continue
                if source is None:
                    del keys_of[kind]
                    for key in keys:
                        del self._routes[key]
                        del self._answers[key]
                else:
                    for key in keys:
                        self._ask_again(key, source)

    def _ask_again(self, key: int, source: Any) -> None:
        """Re-asks ``source`` (a candidate reactor) about a cached route's pair; the other
        candidates' answers stand. Rebuilds the route when the answer changed."""
        kind, instrument_id = key >> 32, key & 0xFFFFFFFF
        reducers, entries, n_engines = self._candidates[kind]
        old = self._answers[key]
        answers = tuple([bool(comp.reacts_to(kind, instrument_id)) if comp is source else was
                         for (comp, _), was in zip(entries, old, strict=True)])
        if answers != old:
            self._answers[key] = answers
            self._routes[key] = _route_of(kind, reducers, entries, answers, n_engines)

    def reacts_to(self, kind: int, instrument_id: int) -> bool:
        """Returns True when some reactor or strategy may react to the pair (the loop's question)."""
        return bool(self.route(kind, instrument_id)[1])

    # --- one record ------------------------------------------------------------------------------
    def handle(self, buf: Any, off: int) -> None:
        """Handles the record at byte ``off`` of ``buf`` (routing, one decode, the handlers)."""
        head = _HEAD(buf, off + 32)  # KIND_OFFSET (checked at import)
        kind = head[0]
        word = _IID_AT.get(kind, 0)
        if word > 0:
            key = kind << 32 | head[word]
        elif word:
            key = kind << 32 | _U4(buf, off + self._iid_at[kind])[0]
        else:
            key = kind << 32
        ctx = self._ctx
        found = self._routes.get(key) if ctx.reaction_version == self._version else None
        reducers, reactors, make, unpack, late = (
            found if found is not None else self._route(kind, key & 0xFFFFFFFF))
        if make is None:  # nobody handles it: not decoded
            if kind not in DECODERS:
                raise RecordError(f"seq {_SEQ(buf, off)[0]}: unknown record kind {kind}")
            return
        rec = make(unpack(buf, off))
        ctx.current_seq = rec[0]  # seq and ts_init by position (the header's first and third
        ctx.now_ns = rec[2]  # fields, checked at import): a C-level index, not a field getter
        if reducers:
            ctx._outbox = None
            for fn in reducers:
                fn(rec, ctx)
            ctx._outbox = ctx._default_outbox
        if late is None:
            for fn in reactors:
                fn(rec, ctx)
            return
        emitted = len(self.outbox._pending)
        for fn in reactors:
            fn(rec, ctx)
        if len(self.outbox._pending) != emitted and rec[5] & _INPUT and ctx.ring.cursor == rec[0]:
            self.deferred.append((late, rec))  # the engines' consequences first
            return
        for fn in late:
            fn(rec, ctx)

    # --- batches ---------------------------------------------------------------------------------
    def on_batch(self, batch: np.ndarray) -> None:
        """Handles every record of ``batch`` (a RECORD_DTYPE view of the ring) in seq order."""
        n = len(batch)
        if not n or not self._kinds:
            return
        if n >= BATCH_MIN:
            self._on_long_batch(batch)
            return
        data = batch.tobytes()
        handle = self.handle
        for off in range(0, n << 7, 128):
            handle(data, off)

    def _masks(self, batch: np.ndarray, only: int | None) -> tuple[np.ndarray, np.ndarray]:
        """Returns (handled one at a time, handled in a batch run) per record; ``only``: the
        batch's :func:`engines.routing.uniform_key` (None: the records differ)."""
        if only is not None:  # the usual run: one kind of one instrument
            one, run = self._verdict(only)
            n = len(batch)
            return np.full(n, one, dtype=bool), np.full(n, run, dtype=bool)
        kinds = batch["kind"]
        keys = (kinds.astype(np.uint64) << np.uint64(32)) | instrument_ids(batch).astype(np.uint64)
        uniq, inverse = np.unique(keys, return_inverse=True)
        single = np.zeros(len(uniq), dtype=bool)
        batched = np.zeros(len(uniq), dtype=bool)
        for j, key in enumerate(uniq.tolist()):
            single[j], batched[j] = self._verdict(key)
        return single[inverse], batched[inverse]

    def _verdict(self, key: int) -> tuple[bool, bool]:
        """Returns (handled one at a time, handled in a batch run) for a ``kind << 32 | iid``."""
        kind = key >> 32
        reducers, reactors = self.route(kind, key & 0xFFFFFFFF)
        if reactors or (reducers and kind not in self._state.batchable):
            return True, False
        return False, bool(reducers)

    def _on_long_batch(self, batch: np.ndarray) -> None:
        kinds = batch["kind"]
        key = uniform_key(batch)
        unknown = None if key is not None and key >> 32 in DECODERS else ~np.isin(kinds, self._known)
        if unknown is not None and unknown.any():
            i = int(np.flatnonzero(unknown)[0])
            raise RecordError(f"seq {int(batch['seq'][i])}: unknown record kind {int(kinds[i])}")
        data = None  # the batch's bytes, copied only when some record is handled alone
        ctx = self._ctx
        start, n = 0, len(batch)
        while start < n:
            sub = batch[start:]
            single, batched = self._masks(sub, key if start == 0 else uniform_key(sub))
            version = ctx.reaction_version
            pos = 0
            restart = -1
            for i in np.flatnonzero(single).tolist():
                if i > pos and batched[pos:i].any():
                    self._apply_run(sub[pos:i])
                if data is None:
                    data = batch.tobytes()
                self.handle(data, (start + i) << 7)
                pos = i + 1
                if ctx.reaction_version != version:
                    restart = start + pos
                    break
            if restart < 0:
                if pos < len(sub) and batched[pos:].any():
                    self._apply_run(sub[pos:])
                return
            start = restart

    # --- quiet runs (engines/quiet.py) ----------------------------------------------------------
    def quiet_reactors(self, kind: int, instrument_id: int) -> tuple[Any, ...] | None:
        """Returns the components that react to the pair, in dispatch order, when there is at
        least one and every one implements the quiet-run protocol; else None."""
        self._route(kind, instrument_id)
        answers = self._answers.get(kind << 32 | instrument_id)
        if answers is None:
            return None
        memo = (kind, answers)  # the candidates change only with ``refresh`` (which forgets)
        if memo in self._quiet:
            return self._quiet[memo]
        comps = tuple([comp for (comp, _), yes in zip(self._candidates[kind][1], answers,
                                                      strict=True) if yes])
        found = self._quiet[memo] = \
            comps if comps and all(implements(c) for c in comps) else None
        return found

    def reduce_quiet(self, span: np.ndarray, mem: memoryview, off: int, kind: int) -> None:
        """Runs the ``state`` stage only over ``span`` (a run of one kind and instrument in the
        ring, at byte ``off`` of ``mem``): as :meth:`on_batch` would with no reactor on the
        route, the batch form for a long run of a batchable kind, else each record's reducers
        (decoded once). The reactors are not called (they skip the run themselves). When every
        reducer of the kind says its state after the run is what the last record alone leaves
        (``Reducer.last_stands``: the cache's latest quote, the equity sampler's mark with no
        grid point in the run), only the last record is applied."""
        n = len(span)
        reducers, _, make, unpack, _ = self._route(kind, _instrument_at(mem, off, kind))
        stands = self._last_stands.get(kind, _UNASKED)
        if stands is _UNASKED:
            stands = self._last_stands[kind] = self._stands_of(kind)
        last_off = off + ((n - 1) << 7)
        last = make(unpack(mem, last_off)) if stands is not None else None
        if last is not None and all([ok(kind, last) for ok in stands]):
            off = last_off  # the last record alone, below
        elif n >= QUIET_BATCH_MIN and kind in self._state.batchable:
            self._apply_run(span)
            return
        ctx = self._ctx
        if not reducers:  # only the last record's seq and time remain, as one by one
            rec = make(unpack(mem, last_off))
            ctx.current_seq = rec[0]
            ctx.now_ns = rec[2]
            return
        ctx._outbox = None
        try:
            for o in range(off, last_off + 128, 128):
                rec = make(unpack(mem, o))
                ctx.current_seq = rec[0]
                ctx.now_ns = rec[2]
                for fn in reducers:
                    fn(rec, ctx)
        finally:
            ctx._outbox = ctx._default_outbox

    def _stands_of(self, kind: int) -> tuple[Any, ...] | None:
        """The ``last_stands`` predicates of the kind's reducers, or None when some reducer
        keeps the default (or there is none)."""
        entries = self._state.table.get(kind, ())
        if not entries or any(type(comp).last_stands is Reducer.last_stands
                              for comp, _ in entries):
            return None
        return tuple([comp.last_stands for comp, _ in entries])

    def _apply_run(self, run: np.ndarray) -> None:
        ctx = self._ctx
        last = run[-1]
        ctx.current_seq = int(last["seq"])
        ctx.now_ns = int(last["ts_init"])
        ctx._outbox = None
        for apply_batch in self._state.batch_handlers:
            apply_batch(run, ctx)
        ctx._outbox = ctx._default_outbox
