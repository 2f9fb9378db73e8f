"""The interpreter settings a live node's loop runs under (tick-to-order latency).

Design contract:
- :func:`live_loop_policy` is a context manager: inside it the GIL switch interval is
  ``SWITCH_INTERVAL_S`` (CPython's default is 5 ms) and the cyclic collector runs as in a
  backtest's loop (:func:`replay.gc_policy.collector_for_runs`: the setup frozen, generation 0
  every 100 k allocations); both are restored on exit;
- it changes when threads run and when cycles are collected, never what the kernel computes.

Why: the node thread sleeps in :meth:`replay.nodes.inputs.LiveInbox.take` and is woken by an
adapter thread's ``push``; to run it must take the GIL, which a busy thread (an adapter parsing
a burst, the FIX session thread) hands over only when it blocks or after the switch interval.
At 5 ms that wait was the largest share of the live path's p99 (docs/hot-paths.md, "Live
path"); a young collection (~0.1-1 ms) every 700 allocations was the next.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from replay.gc_policy import collector_for_runs

#: GIL switch interval inside a live loop (seconds)
SWITCH_INTERVAL_S = 0.0002


@contextmanager
def live_loop_policy(switch_interval_s: float = SWITCH_INTERVAL_S) -> Iterator[None]:
    """Runs the block with the live loop's interpreter settings (see the module contract)."""
    if switch_interval_s <= 0:
        raise ValueError(f"switch_interval_s must be > 0, got {switch_interval_s}")
    old = sys.getswitchinterval()
    sys.setswitchinterval(switch_interval_s)
    try:
        with collector_for_runs():
            yield
    finally:
        sys.setswitchinterval(old)
