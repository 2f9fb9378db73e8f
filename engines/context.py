"""The kernel context: what a component sees while it handles a record.

Design contract:
- ``now_ns`` is the ``ts_init`` of the record being processed (kernel time) and ``current_seq``
  its seq; outside record handling (lifecycle hooks) they are the last record's values;
- ``emit`` builds a record with ``ts_event = ts_init = now_ns`` and ``cause = current_seq`` and
  queues it in the outbox of the stage being run; it is published after that stage's batch, gets
  a later seq and is processed in the same drain. Reducers never emit: in the ``state`` stage
  ``emit`` raises :class:`EmitNotAllowed`;
- ``schedule(ts_ns, record)`` hands a record to the scheduler; the replay loop publishes it when
  due (before any input with ``ts_init >= ts_ns``), with ``ts_init = ts_ns``;
- ``intern(text)`` returns the string's id, emitting its STRING records the first time;
- nothing here reads the wall clock.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

import numpy as np

from domain.codec import packer
from domain.kinds import RECORD_DTYPE
from domain.strings import StringTable

#: How many ``reactions_changed`` calls :meth:`KernelContext.reaction_kinds_since` remembers.
_REACTION_LOG = 64

if TYPE_CHECKING:
    from engines.scheduler import Scheduler
    from ringbus.outbox import Outbox


class EmitNotAllowed(RuntimeError):
    """A record was emitted where emitting is not allowed (by a reducer, in the state stage)."""


class UnknownClientError(KeyError):
    """No execution client is registered for a venue."""

    def __str__(self) -> str:
        return str(self.args[0])


class KernelContext:
    """Kernel time, the string table, the cache, and the ways to emit and schedule records."""

    def __init__(
        self,
        strings: StringTable,
        scheduler: Scheduler,
        default_outbox: Outbox,
        cache: Any = None,
    ) -> None:
        self.strings = strings
        self.scheduler = scheduler
        self.cache = cache
        #: The portfolio, once registered (read access for strategies and risk).
        self.portfolio: Any = None
        self.now_ns: int = 0
        self.current_seq: int = 0
        #: Bumped whenever any component's ``reacts_to`` answers may have changed.
        self.reaction_version: int = 0
        #: What the last versions changed (:meth:`reaction_kinds_since`), oldest first.
        self._reaction_log: deque[tuple[frozenset[int] | None, Any]] = deque(
            maxlen=_REACTION_LOG)
        self._outbox: Outbox | None = default_outbox
        self._default_outbox = default_outbox
        self._stage_name = ""
        self._clients: dict[str, Any] = {}
        #: The kernel's ring (set by the kernel), read by :mod:`engines.order_projection` for the
        #: records published after ``current_seq`` and not handled yet; never written here.
        self.ring: Any = None
        #: The ring's buffer as bytes (set by the kernel with ``ring``); read only.
        self.ring_bytes: memoryview | None = None

    # --- time --------------------------------------------------------------------------------------
    def set_current(self, seq: int, ts_init: int) -> None:
        """Sets the record being processed (called by the stages)."""
        self.current_seq = seq
        self.now_ns = ts_init

    # --- emitting ----------------------------------------------------------------------------------
    def enter_stage(self, name: str, outbox: Outbox | None) -> None:
        """Routes emits to ``outbox`` (None: emitting raises) while stage ``name`` runs."""
        self._stage_name = name
        self._outbox = outbox

    def leave_stage(self) -> None:
        """Routes emits back to the kernel's default outbox (lifecycle hooks, setup)."""
        self._stage_name = ""
        self._outbox = self._default_outbox

    def _require_outbox(self) -> Outbox:
        outbox = self._outbox
        if outbox is None:
            raise EmitNotAllowed(
                f"stage {self._stage_name or 'state'!r} may not emit (reducers never emit); "
                f"seq {self.current_seq}"
            )
        return outbox

    def pack(self, kind: int, source_id: int, **raw_fields: Any) -> bytes:
        """Returns the bytes of a record stamped with kernel time and cause (not emitted)."""
        raw_fields.setdefault("ts_event", self.now_ns)
        raw_fields.setdefault("ts_init", self.now_ns)
        raw_fields.setdefault("cause", self.current_seq)
        return packer(kind).pack(source=source_id, **raw_fields)

    def emit(self, kind: int, source_id: int, **raw_fields: Any) -> None:
        """Emits one record of ``kind`` (raw values named as in domain/kinds.py).

        Header defaults: ts_event = ts_init = now_ns, cause = current_seq, flags = 0.
        """
        outbox = self._require_outbox()
        raw_fields.setdefault("ts_event", self.now_ns)
        raw_fields.setdefault("ts_init", self.now_ns)
        raw_fields.setdefault("cause", self.current_seq)
        data = packer(kind).pack(source=source_id, **raw_fields)
        emit_bytes = getattr(outbox, "emit_bytes", None)
        if emit_bytes is not None:
            emit_bytes(data)
        else:
            outbox.emit_one(np.frombuffer(data, dtype=RECORD_DTYPE))

    def emit_records(self, records: np.ndarray) -> None:
        """Emits ready-made records (RECORD_DTYPE-sized); they are copied when published."""
        self._require_outbox().emit(records)

    def intern(self, text: str, source_id: int = 0) -> int:
        """Returns the id of ``text``; the first time, emits the STRING records defining it."""
        string_id, data = self.strings.intern_packed(text, self.now_ns, self.current_seq,
                                                     source_id)
        if data is not None:
            outbox = self._require_outbox()
            emit_bytes = getattr(outbox, "emit_bytes", None)
            if emit_bytes is not None:
                emit_bytes(data)
            else:
                outbox.emit(np.frombuffer(data, dtype=RECORD_DTYPE))
        return string_id

    def text(self, string_id: int) -> str:
        """Returns the text of an interned id (KeyError names the id when undefined)."""
        return self.strings.text(string_id)

    # --- scheduling --------------------------------------------------------------------------------
    def schedule(self, ts_ns: int, record: bytes | np.ndarray) -> None:
        """Schedules ``record`` for publication at ``ts_ns`` (its ts_init is set to ``ts_ns``).

        ``ts_ns`` before ``now_ns`` is refused (time never goes backwards in the log).
        """
        self.scheduler.schedule(ts_ns, record, self.current_seq)

    def schedule_kind(self, ts_ns: int, kind: int, source_id: int, **raw_fields: Any) -> None:
        """Packs a record (ts_event defaults to ``ts_ns``) and schedules it at ``ts_ns``."""
        raw_fields.setdefault("ts_event", ts_ns)
        raw_fields["ts_init"] = ts_ns
        self.schedule(ts_ns, self.pack(kind, source_id, **raw_fields))

    def reactions_changed(self, kinds: frozenset[int] | None = None, source: Any = None) -> None:
        """Tells the replay loop that some ``reacts_to`` answer may have changed: for records of
        ``kinds`` only, or of any kind (the default); ``source``: the one component whose answers
        changed (the kernel's consumer then re-asks only it), or None for any component."""
        self.reaction_version += 1
        self._reaction_log.append((kinds, source))

    def reaction_kinds_since(self, version: int) -> frozenset[int] | None:
        """Returns the kinds whose ``reacts_to`` answers may have changed after ``version``, or
        None for any kind (also when ``version`` is older than the last changes remembered)."""
        changes = self.reaction_changes_since(version)
        if changes is None:
            return None
        return frozenset().union(*[kinds for kinds, _ in changes])

    def reaction_changes_since(self, version: int
                               ) -> list[tuple[frozenset[int], Any]] | None:
        """Returns the (kinds, source) of each change after ``version``, oldest first (``source``
        None: any component), or None when one of them named no kinds (any kind may have
        changed) or ``version`` is older than the last changes remembered."""
        log = self._reaction_log
        n = self.reaction_version - version
        if n < 0 or n > len(log):
            return None
        changes = [log[i] for i in range(len(log) - n, len(log))]
        for kinds, _ in changes:
            if kinds is None:
                return None
        return changes  # type: ignore[return-value]

    # --- execution clients -------------------------------------------------------------------------
    def register_client(self, venue: str, client: Any) -> None:
        """Registers the execution client for ``venue``; a venue has at most one."""
        if venue in self._clients:
            raise ValueError(f"venue {venue!r} already has an execution client")
        self._clients[venue] = client

    def client(self, venue: str) -> Any:
        """Returns the execution client of ``venue``; UnknownClientError names the venue."""
        try:
            return self._clients[venue]
        except KeyError:
            raise UnknownClientError(
                f"no execution client for venue {venue!r} (known: {sorted(self._clients)})"
            ) from None

    def venues(self) -> list[str]:
        """Returns the venues with a client, sorted."""
        return sorted(self._clients)
