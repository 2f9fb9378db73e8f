"""Component lifecycle: one ``(state, trigger) -> state`` table, and the component base classes.

Design contract:
- :data:`TRANSITIONS` is the only place a lifecycle change is decided (the table of DESIGN.md
  "Components", after NautilusTrader); a pair not in it raises :class:`InvalidStateTransition`
  naming the component, the state and the trigger;
- ``start()`` etc. walk a transitional state (STARTING) to a stable one (RUNNING), calling the
  hook (``on_start``) in between; a hook that raises moves the component to FAULTED (when the
  table allows a fault from there) and the error propagates;
- :class:`Reducer` folds records into state and never emits; :class:`Reactor` reads state and
  emits records through the context. Both are plain Python objects: the kernel's stages call
  ``apply`` / ``react`` with one decoded raw record (a per-kind namedtuple, see
  :func:`domain.codec.raw_decoder`) and the :class:`engines.context.KernelContext`.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from domain.digest import blake2b

if TYPE_CHECKING:
    from engines.context import KernelContext


class ComponentState(IntEnum):
    """Lifecycle states; the stable ones are where a component rests between triggers."""

    PRE_INITIALIZED = 0
    READY = 1
    RUNNING = 2
    STOPPED = 3
    DEGRADED = 4
    FAULTED = 5
    DISPOSED = 6
    STARTING = 10
    STOPPING = 11
    RESUMING = 12
    RESETTING = 13
    DISPOSING = 14
    DEGRADING = 15
    FAULTING = 16


class ComponentTrigger(IntEnum):
    """What moves a component from one state to the next."""

    INITIALIZE = 1
    START = 2
    START_COMPLETED = 3
    STOP = 4
    STOP_COMPLETED = 5
    RESUME = 6
    RESUME_COMPLETED = 7
    RESET = 8
    RESET_COMPLETED = 9
    DISPOSE = 10
    DISPOSE_COMPLETED = 11
    DEGRADE = 12
    DEGRADE_COMPLETED = 13
    FAULT = 14
    FAULT_COMPLETED = 15


STABLE_STATES = frozenset(s for s in ComponentState if s < 10)
TRANSITIONAL_STATES = frozenset(s for s in ComponentState if s >= 10)

S = ComponentState
T = ComponentTrigger

TRANSITIONS: dict[tuple[ComponentState, ComponentTrigger], ComponentState] = {
    (S.PRE_INITIALIZED, T.INITIALIZE): S.READY,
    (S.READY, T.RESET): S.RESETTING,
    (S.READY, T.START): S.STARTING,
    (S.READY, T.DISPOSE): S.DISPOSING,
    (S.RESETTING, T.RESET_COMPLETED): S.READY,
    (S.STARTING, T.START_COMPLETED): S.RUNNING,
    # A stop or a fault may interrupt a start that is waiting on something (a live connection).
    (S.STARTING, T.STOP): S.STOPPING,
    (S.STARTING, T.FAULT): S.FAULTING,
    (S.RUNNING, T.STOP): S.STOPPING,
    (S.RUNNING, T.DEGRADE): S.DEGRADING,
    (S.RUNNING, T.FAULT): S.FAULTING,
    (S.RESUMING, T.STOP): S.STOPPING,
    (S.RESUMING, T.RESUME_COMPLETED): S.RUNNING,
    (S.RESUMING, T.FAULT): S.FAULTING,
    (S.STOPPING, T.STOP_COMPLETED): S.STOPPED,
    (S.STOPPING, T.FAULT): S.FAULTING,
    (S.STOPPED, T.RESET): S.RESETTING,
    (S.STOPPED, T.RESUME): S.RESUMING,
    (S.STOPPED, T.DISPOSE): S.DISPOSING,
    # A stopped component can still be found broken (e.g. by a check run at shutdown).
    (S.STOPPED, T.FAULT): S.FAULTING,
    (S.DEGRADING, T.DEGRADE_COMPLETED): S.DEGRADED,
    (S.DEGRADED, T.RESUME): S.RESUMING,
    (S.DEGRADED, T.STOP): S.STOPPING,
    (S.DEGRADED, T.FAULT): S.FAULTING,
    (S.DISPOSING, T.DISPOSE_COMPLETED): S.DISPOSED,
    (S.FAULTING, T.FAULT_COMPLETED): S.FAULTED,
}


class InvalidStateTransition(RuntimeError):
    """A lifecycle trigger is not allowed in the component's current state."""

    def __init__(self, component_id: str, state: ComponentState, trigger: ComponentTrigger) -> None:
        super().__init__(
            f"component {component_id!r}: trigger {trigger.name} is not allowed in state "
            f"{state.name}"
        )
        self.component_id = component_id
        self.state = state
        self.trigger = trigger


def next_state(state: ComponentState, trigger: ComponentTrigger, component_id: str = "?") -> ComponentState:
    """Returns the state after ``trigger``; raises InvalidStateTransition when the table lacks it."""
    try:
        return TRANSITIONS[(state, trigger)]
    except KeyError:
        raise InvalidStateTransition(component_id, state, trigger) from None


# (begin trigger, completion trigger, hook name) of each public lifecycle action.
_ACTIONS: dict[str, tuple[ComponentTrigger, ComponentTrigger, str]] = {
    "start": (T.START, T.START_COMPLETED, "on_start"),
    "stop": (T.STOP, T.STOP_COMPLETED, "on_stop"),
    "resume": (T.RESUME, T.RESUME_COMPLETED, "on_resume"),
    "reset": (T.RESET, T.RESET_COMPLETED, "on_reset"),
    "dispose": (T.DISPOSE, T.DISPOSE_COMPLETED, "on_dispose"),
    "degrade": (T.DEGRADE, T.DEGRADE_COMPLETED, "on_degrade"),
    "fault": (T.FAULT, T.FAULT_COMPLETED, "on_fault"),
}


class Component:
    """A named part of the kernel with a lifecycle.

    Subclasses override the ``on_*`` hooks (all no-ops here). ``initialize()`` is called by the
    kernel at registration (PRE_INITIALIZED -> READY).
    """

    def __init__(self, component_id: str) -> None:
        if not component_id:
            raise ValueError("component_id must be a non-empty string, got ''")
        self.component_id: str = component_id
        self.state: ComponentState = S.PRE_INITIALIZED

    # --- lifecycle -------------------------------------------------------------------------------
    def _trigger(self, trigger: ComponentTrigger) -> None:
        self.state = next_state(self.state, trigger, self.component_id)

    def _run(self, action: str) -> None:
        begin, done, hook = _ACTIONS[action]
        self._trigger(begin)
        try:
            getattr(self, hook)()
        except BaseException:
            if action != "fault" and (self.state, T.FAULT) in TRANSITIONS:
                self.state = S.FAULTED
            raise
        self._trigger(done)

    def initialize(self) -> None:
        """PRE_INITIALIZED -> READY; the kernel calls it when registering the component."""
        self._trigger(T.INITIALIZE)

    def start(self) -> None:
        """READY -> STARTING -> RUNNING, calling ``on_start``."""
        self._run("start")

    def stop(self) -> None:
        """RUNNING / DEGRADED -> STOPPING -> STOPPED, calling ``on_stop``."""
        self._run("stop")

    def resume(self) -> None:
        """STOPPED / DEGRADED -> RESUMING -> RUNNING, calling ``on_resume``."""
        self._run("resume")

    def reset(self) -> None:
        """READY / STOPPED -> RESETTING -> READY, calling ``on_reset``."""
        self._run("reset")

    def dispose(self) -> None:
        """READY / STOPPED -> DISPOSING -> DISPOSED, calling ``on_dispose``."""
        self._run("dispose")

    def degrade(self) -> None:
        """RUNNING -> DEGRADING -> DEGRADED, calling ``on_degrade``."""
        self._run("degrade")

    def fault(self) -> None:
        """Moves to FAULTING -> FAULTED, calling ``on_fault``."""
        self._run("fault")

    @property
    def is_running(self) -> bool:
        """True in RUNNING (and DEGRADED, which still processes records)."""
        return self.state in (S.RUNNING, S.DEGRADED)

    # --- hooks -----------------------------------------------------------------------------------
    def on_start(self) -> None:
        """Called while STARTING."""

    def on_stop(self) -> None:
        """Called while STOPPING."""

    def on_resume(self) -> None:
        """Called while RESUMING."""

    def on_reset(self) -> None:
        """Called while RESETTING: return derived state to what it was at construction."""

    def on_dispose(self) -> None:
        """Called while DISPOSING: release resources."""

    def on_degrade(self) -> None:
        """Called while DEGRADING."""

    def on_fault(self) -> None:
        """Called while FAULTING."""

    # --- state persistence -----------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Returns the component's derived state as JSON-able plain data (empty: stateless)."""
        return {}

    def restore(self, doc: dict[str, Any]) -> None:
        """Replaces the derived state with one returned by :meth:`snapshot`."""

    def digest(self, h: blake2b) -> None:
        """Feeds canonical bytes of the derived state into ``h`` (nothing: stateless)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.component_id!r}, {self.state.name})"


class Reducer(Component):
    """Folds records of the kinds in ``handles`` into state; never emits.

    ``apply(rec, ctx)`` gets one decoded record (``rec.kind`` is one of ``handles``). A reducer may
    also list ``batch_kinds`` (a subset of ``handles``) and implement ``apply_batch(records, ctx)``
    over a numpy view of consecutive records (each of some kind in ``batch_kinds``, possibly mixed
    with kinds it does not handle, which it skips); the result must equal calling ``apply`` on
    each record of its kinds in order. The stage uses it only for runs in which every record is
    batchable for every component of the stage.
    """

    handles: tuple[int, ...] = ()
    batch_kinds: tuple[int, ...] = ()

    def apply(self, rec: Any, ctx: KernelContext) -> None:
        """Applies one record of a kind in ``handles``."""
        raise TypeError(f"reducer {self.component_id!r} handles {self.handles} but has no apply()")

    def apply_batch(self, records: np.ndarray, ctx: KernelContext) -> None:
        """Applies a run of records of ``batch_kinds`` (RECORD_DTYPE view, valid during the call)."""
        raise TypeError(f"reducer {self.component_id!r} lists batch_kinds but has no apply_batch()")

    def last_stands(self, kind: int, last: Any) -> bool:
        """True when applying only ``last`` (decoded), the last record of a quiet run of
        ``kind`` and one instrument (:mod:`engines.quiet`), leaves this reducer as applying each
        record of the run in turn would, with nothing read from other components in between.
        Pure. The default, False, keeps the record-by-record path."""
        return False


class Reactor(Component):
    """Reacts to records of the kinds in ``handles`` by emitting records through the context.

    ``reacts_to(kind, instrument_id)`` tells the replay loop whether an input of that kind and
    instrument may cause a reaction (then it is published alone, so the reaction is sequenced
    before the next input); the default is ``kind in handles``. A reactor whose answer changes
    (a new subscription) calls ``ctx.reactions_changed()``.
    """

    handles: tuple[int, ...] = ()

    def react(self, rec: Any, ctx: KernelContext) -> None:
        """Handles one record of a kind in ``handles``; may emit and schedule records."""
        raise TypeError(f"reactor {self.component_id!r} handles {self.handles} but has no react()")

    def reacts_to(self, kind: int, instrument_id: int) -> bool:
        """Returns True when an input of ``kind`` for ``instrument_id`` may cause a reaction."""
        return kind in self.handles

    # --- quiet runs (engines/quiet.py): optional; the defaults keep the one-by-one path ----------
    def quiet_count(self, kind: int, run: Any, ctx: KernelContext) -> int:
        """PURE: how many leading records of ``run`` handling one by one would leave silent
        (see :mod:`engines.quiet`); 0 (the default): unknown, handle each record."""
        return 0

    def skip_quiet(self, kind: int, run: Any, ctx: KernelContext) -> None:
        """Advances this component's own state over ``run`` exactly as handling each record
        would (only called after ``quiet_count`` said the run is quiet)."""
        raise TypeError(f"reactor {self.component_id!r} has quiet_count but no skip_quiet")


#: A function called with (rec, ctx): what a stage calls per record.
Handler = Callable[[Any, "KernelContext"], None]
