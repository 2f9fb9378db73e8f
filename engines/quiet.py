"""Quiet runs: the protocol by which a reactor lets the kernel skip its per-record calls.

Contract (docs/engines.md "Quiet runs", docs/hot-paths.md "Tenth pass"):
- a *run* is a slice of INPUT records of ONE kind and ONE instrument, in seq order, with no
  scheduled record due between them, that every reactor of their route reacts to;
- ``quiet_count(kind, run, ctx) -> int`` is PURE (changes no state, emits nothing): how many
  leading records of ``run`` handling one by one would leave *silent*: nothing emitted or
  scheduled, nothing another component can see changed, and no read of state that another
  component changes within the run. 0 means "no" or "unknown"; it is the default of every
  reactor, so a component that does not implement the protocol keeps the one-by-one path;
- ``skip_quiet(kind, run, ctx)`` advances the component's OWN state over the whole of ``run``
  (never longer than the last ``quiet_count`` it returned) exactly as handling each record
  would: the same operations in the same order (floats bit-identical);
- when every reactor of a route implements the protocol, the replay loop publishes the quiet
  prefix (``k`` = the least of their answers) as one batch whose reducers run as usual and whose
  reactors each get ``skip_quiet`` once (:meth:`engines.kernel.Kernel.publish_quiet`); the
  journal, the seqs and the ring hold exactly what the one-by-one path gives;
- ``ctx`` during ``quiet_count`` is the state before the run (``ctx.now_ns`` the last record's
  before it); during ``skip_quiet`` the reducers have applied the run and ``ctx.now_ns`` /
  ``ctx.current_seq`` are the run's last record's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from domain.codec import as_kind
from engines.component import Reactor

#: Set ``RINGBUS_QUIET_RUNS=0`` to turn quiet runs off (every reacted record published alone).
ENV_SWITCH = "RINGBUS_QUIET_RUNS"


class QuietColumns:
    """A chunk's fields as Python lists, made on first use per (kind, field) and shared by every
    run of the chunk (one ``tolist`` per chunk instead of one numpy call per run)."""

    __slots__ = ("records", "_cols")

    def __init__(self, records: np.ndarray) -> None:
        self.records = records
        self._cols: dict[tuple[int, str], list[Any]] = {}

    def column(self, kind: int, name: str) -> list[Any]:
        key = (kind, name)
        col = self._cols.get(key)
        if col is None:
            col = self._cols[key] = as_kind(self.records, kind)[name].tolist()
        return col

    def derived(self, kind: int, name: str, make: Callable[[np.ndarray], list[Any]]
                ) -> list[Any]:
        """``make(records as kind)``: a column computed from the whole chunk (one value per
        record, in order), made once per chunk under ``name`` (which must not be a field's)."""
        key = (kind, name)
        col = self._cols.get(key)
        if col is None:
            col = self._cols[key] = make(as_kind(self.records, kind))
        return col


class QuietRun:
    """Records ``start:stop`` of a chunk, all of ``kind`` (what ``quiet_count`` / ``skip_quiet``
    get). ``column(name)`` is a field of the WHOLE chunk as a list: the run's values are
    ``column(name)[run.start:run.stop]`` (index it, ``for i in range(run.start, run.stop)``,
    rather than slice it: a run may be long); ``values(name)`` is that slice; ``records`` the
    numpy slice (the inputs as given: their ``seq`` is not stamped yet)."""

    __slots__ = ("kind", "start", "stop", "_columns", "memo")

    def __init__(self, columns: QuietColumns, kind: int, start: int, stop: int) -> None:
        self._columns = columns
        self.kind = kind
        self.start = start
        self.stop = stop
        #: Scratch space for a component, by the component: what its ``quiet_count`` worked out
        #: (e.g. its state after the prefix it answered), read back by its ``skip_quiet`` when
        #: that gets this same run object (the answer stood; a shorter run is a new object).
        self.memo: dict[Any, Any] = {}

    def __len__(self) -> int:
        return self.stop - self.start

    def column(self, name: str) -> list[Any]:
        """The chunk's values of the kind's field ``name`` (the run's at ``start:stop``)."""
        return self._columns.column(self.kind, name)

    def derived(self, name: str, make: Callable[[np.ndarray], list[Any]]) -> list[Any]:
        """A column computed from the chunk by ``make`` (:meth:`QuietColumns.derived`), indexed
        as :meth:`column` is."""
        return self._columns.derived(self.kind, name, make)

    def values(self, name: str) -> list[Any]:
        """The run's values of the kind's field ``name``, in order (a copy)."""
        return self._columns.column(self.kind, name)[self.start : self.stop]

    @property
    def records(self) -> np.ndarray:
        return self._columns.records[self.start : self.stop]

    def head(self, k: int) -> QuietRun:
        """The run's first ``k`` records (``k <= len(self)``)."""
        return QuietRun(self._columns, self.kind, self.start, self.start + k)


def implements(component: Any) -> bool:
    """True when ``component`` overrides both methods of the protocol (else it is never asked:
    its records keep the one-by-one path)."""
    cls = type(component)
    return getattr(cls, "quiet_count", None) is not Reactor.quiet_count and \
        getattr(cls, "skip_quiet", None) is not Reactor.skip_quiet
