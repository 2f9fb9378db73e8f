"""How the live node thread waits for its inbox (the Disruptor's wait strategies).

Design contract:
- :class:`WaitStrategy` ``spin(ready)`` polls ``ready()`` (a cheap, lock-free check that the
  inbox holds records) for at most ``spin_us`` microseconds and returns whether it turned true;
  the caller then takes the inbox's lock and, if still empty, blocks on its condition variable
  as before. So every strategy hands out the same records in the same order with the same
  stamps: the strategy changes when the node thread wakes, never what it journals;
- ``blocking`` does not spin (the default: no CPU spent while idle, as a backtest-like or
  low-rate node wants); ``yielding`` spins with ``os.sched_yield`` between polls (releases the
  GIL and offers the core to any other runnable thread or process); ``busy-spin`` spins with
  ``time.sleep(0)`` between polls (releases the GIL for the producer threads but keeps the core);
- structural rules are checked at construction: an unknown name or a negative budget raises
  ValueError naming the value.

Why: a blocked node thread is woken by a futex, then takes the GIL, on a core that may have
idled (cold caches, a C-state to leave); the wake-up was the first leg of the tick-to-order
path (docs/hot-paths.md, "Live path"; ``perf/live_latency.py --wait``). Spinning trades a core
for it.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable

#: strategy names, as ``[live] wait`` takes them
WAITS = ("blocking", "yielding", "busy-spin")


class WaitStrategy:
    """Polls before blocking (see the module contract)."""

    __slots__ = ("name", "spin_ns", "_pause")

    def __init__(self, name: str = "blocking", spin_us: float = 0.0) -> None:
        if name not in WAITS:
            raise ValueError(f"wait strategy must be one of {WAITS}, got {name!r}")
        if spin_us < 0:
            raise ValueError(f"spin_us must be >= 0, got {spin_us}")
        self.name = name
        self.spin_ns = 0 if name == "blocking" else int(spin_us * 1000)
        self._pause: Callable[[], object] = (
            os.sched_yield if name == "yielding" else functools.partial(time.sleep, 0))

    def spin(self, ready: Callable[[], bool]) -> bool:
        """Polls ``ready`` for up to the spin budget; returns True as soon as it is true."""
        if not self.spin_ns:
            return ready()
        clock = time.perf_counter_ns
        deadline = clock() + self.spin_ns
        pause = self._pause
        while not ready():
            if clock() >= deadline:
                return False
            pause()
        return True
