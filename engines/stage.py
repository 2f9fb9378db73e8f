"""Stages: the ordered component groups ``state``, ``engines`` and ``strategies``.

Design contract:
- a stage is a group of components in registration order; it is no longer a ring consumer of
  its own: the kernel's one fused consumer (:mod:`engines.kernel_consumer`) runs, for each
  record in seq order, the ``state`` stage, then ``engines``, then ``strategies``;
- :meth:`Stage.refresh` lists the running components' handlers per kind (a reactor gets records
  only while running or degraded, a reducer until disposed or faulted: state is a fold over the
  whole log); the kernel calls it after lifecycle changes; :meth:`Stage.seal` (a fault) empties
  the table for good;
- :meth:`Stage.reacts_to` answers for the replay loop whether some running component of the
  stage may react to a (kind, instrument) pair (reducers always "react": they fold everything).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from domain.codec import RAW_STRUCTS, RAW_TUPLES
from domain.kinds import KIND_DTYPES
from engines.component import Component, ComponentState, Reducer

#: A run at least this long is dispatched by the vectorised batch path.
BATCH_MIN = 32
#: ``kind -> (namedtuple maker, struct unpack_from)``: one decode per record. The maker is
#: ``tuple.__new__`` bound to the class (a C call; the struct guarantees the field count).
DECODERS: dict[int, tuple[Any, Any]] = {
    k: (partial(tuple.__new__, RAW_TUPLES[k]), RAW_STRUCTS[k].unpack_from) for k in KIND_DTYPES
}


class Stage:
    """An ordered group of components and their handlers per kind."""

    def __init__(self, name: str, reactors: bool) -> None:
        self.name = name
        self.reactors = reactors
        self.components: list[Component] = []
        #: ``kind -> ((component, handler), ...)`` of the components that receive records.
        self.table: dict[int, tuple[tuple[Component, Any], ...]] = {}
        #: Kinds that every handling component takes in batch form (reducers' ``batch_kinds``).
        self.batchable: frozenset[int] = frozenset()
        #: ``apply_batch`` of the components that list ``batch_kinds``.
        self.batch_handlers: tuple[Any, ...] = ()
        self.sealed = False

    def add(self, component: Component) -> None:
        """Registers ``component`` (after those already registered) and refreshes the table."""
        self.components.append(component)
        self.refresh()

    def seal(self) -> None:
        """Empties the dispatch table for good (the kernel faulted: no handler runs again)."""
        self.sealed = True
        self.refresh()

    def refresh(self) -> None:
        """Rebuilds the dispatch table from the receiving components' handlers (empty once
        sealed)."""
        table: dict[int, list[tuple[Component, Any]]] = {}
        batch_ok: dict[int, bool] = {}
        batch_handlers = []
        for comp in () if self.sealed else self.components:
            if not _receives(comp):
                continue
            batch_kinds = set(getattr(comp, "batch_kinds", ()))
            if batch_kinds:
                batch_handlers.append(comp.apply_batch)  # type: ignore[attr-defined]
            for kind, fn in component_handlers(comp).items():
                table.setdefault(kind, []).append((comp, fn))
                batch_ok[kind] = batch_ok.get(kind, True) and kind in batch_kinds
        self.table = {k: tuple(v) for k, v in table.items()}
        self.batchable = frozenset(k for k, ok in batch_ok.items() if ok)
        self.batch_handlers = tuple(batch_handlers)

    def handlers_for(self, kind: int, instrument_id: int) -> tuple[Any, ...]:
        """Returns the handlers to call for a record of ``(kind, instrument_id)``, in order.

        Reducers get every record of their kinds; a reactor only the pairs it ``reacts_to``.
        """
        entries = self.table.get(kind)
        if not entries:
            return ()
        if not self.reactors:
            return tuple([fn for _, fn in entries])
        return tuple([fn for comp, fn in entries if comp.reacts_to(kind, instrument_id)])  # type: ignore[attr-defined]

    def reacts_to(self, kind: int, instrument_id: int) -> bool:
        """Returns True when some receiving component of this stage may react to the pair."""
        if kind not in self.table:
            return False
        return bool(self.handlers_for(kind, instrument_id))


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
        return {int(k): v for k, v in custom().items()}
    fn = comp.apply if isinstance(comp, Reducer) else comp.react  # type: ignore[attr-defined]
    return {int(k): fn for k in comp.handles}  # type: ignore[attr-defined]
