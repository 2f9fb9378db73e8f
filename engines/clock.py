"""A component's clock: kernel time and timers that are records.

Design contract:
- ``now_ns()`` is kernel time (the ts_init of the record being processed); never the wall clock;
- ``set_timer(name, interval_ns, start_ns, stop_ns)`` schedules a TIMER record at
  ``start_ns + interval_ns`` (start defaults to now); each fire schedules the next one, until
  ``stop_ns`` (inclusive; 0 for none). ``set_time_alert(name, ts_ns)`` schedules one TIMER with
  ``interval_ns = 0``. The record's ``ts_event`` is its scheduled time; the scheduler publishes it
  before any input at or after that time;
- a name is one live timer per clock; ``cancel_timer`` stops its future fires (a fire already
  scheduled is dropped when it arrives).
"""

from __future__ import annotations

from typing import Any

from domain.kinds import Kind
from engines.context import KernelContext


class TimerError(ValueError):
    """A timer was set with a bad name, interval or time; the message names the value."""


class Clock:
    """Kernel time and named timers for one component (``owner_id`` = its interned id)."""

    def __init__(self, ctx: KernelContext, owner_id: int) -> None:
        self._ctx = ctx
        self.owner_id = owner_id
        #: name -> (timer id, interval_ns, stop_ns, generation)
        self._timers: dict[str, tuple[int, int, int, int]] = {}
        self._by_id: dict[int, str] = {}
        self._generation = 0

    def now_ns(self) -> int:
        """Returns kernel time in ns."""
        return self._ctx.now_ns

    @property
    def timer_names(self) -> list[str]:
        """Returns the names of live timers, in the order they were set."""
        return list(self._timers)

    def set_timer(self, name: str, interval_ns: int, start_ns: int = 0, stop_ns: int = 0) -> None:
        """Fires TIMER ``name`` every ``interval_ns`` from ``start_ns`` (default now) + interval."""
        if interval_ns <= 0:
            raise TimerError(f"timer {name!r}: interval_ns must be > 0, got {interval_ns}")
        start = start_ns or self._ctx.now_ns
        self._set(name, interval_ns, stop_ns, start + interval_ns)

    def set_time_alert(self, name: str, ts_ns: int) -> None:
        """Fires TIMER ``name`` once at ``ts_ns`` (must not be before now)."""
        self._set(name, 0, 0, ts_ns)

    def _set(self, name: str, interval_ns: int, stop_ns: int, first_ns: int) -> None:
        if not name:
            raise TimerError("timer name must be non-empty")
        if first_ns < self._ctx.now_ns:
            raise TimerError(f"timer {name!r}: first fire {first_ns} is before now {self._ctx.now_ns}")
        if stop_ns and first_ns > stop_ns:
            raise TimerError(f"timer {name!r}: first fire {first_ns} is after stop_ns {stop_ns}")
        timer_id = self._ctx.intern(name, self.owner_id)
        self._generation += 1
        self._timers[name] = (timer_id, interval_ns, stop_ns, self._generation)
        self._by_id[timer_id] = name
        self._schedule(timer_id, interval_ns, first_ns, 1)

    def _schedule(self, timer_id: int, interval_ns: int, ts_ns: int, count: int) -> None:
        self._ctx.schedule_kind(
            ts_ns, Kind.TIMER, self.owner_id, timer_id=timer_id, owner_id=self.owner_id,
            interval_ns=interval_ns, fire_count=count,
        )

    def cancel_timer(self, name: str) -> None:
        """Stops timer ``name`` (no error when it is not set)."""
        entry = self._timers.pop(name, None)
        if entry is not None:
            self._by_id.pop(entry[0], None)

    def cancel_timers(self) -> None:
        """Stops every timer of this clock."""
        self._timers.clear()
        self._by_id.clear()

    def on_fire(self, rec: Any) -> str | None:
        """Handles a TIMER record of this owner: returns the timer name if it is live (and
        schedules the next fire of a repeating timer), or None for a cancelled one."""
        name = self._by_id.get(rec.timer_id)
        if name is None:
            return None
        timer_id, interval_ns, stop_ns, _ = self._timers[name]
        if interval_ns == 0:
            del self._timers[name]
            del self._by_id[timer_id]
            return name
        nxt = rec.ts_event + interval_ns
        if not stop_ns or nxt <= stop_ns:
            self._schedule(timer_id, interval_ns, nxt, rec.fire_count + 1)
        else:
            del self._timers[name]
            del self._by_id[timer_id]
        return name

    def snapshot(self) -> dict[str, Any]:
        """Returns the live timers as plain data."""
        return {"timers": [[n, *v] for n, v in self._timers.items()], "generation": self._generation}

    def restore(self, doc: dict[str, Any]) -> None:
        """Replaces the live timers with a snapshot's."""
        self._timers = {n: (int(a), int(b), int(c), int(d)) for n, a, b, c, d in doc["timers"]}
        self._by_id = {v[0]: n for n, v in self._timers.items()}
        self._generation = int(doc["generation"])
