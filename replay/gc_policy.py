"""The garbage collector's policy while a node runs its loop.

Design contract:
- :func:`collector_for_runs` is a context manager: inside it, every object alive on entry (the
  interpreter, numba, the node's setup) is frozen out of the cyclic collector (``gc.freeze``)
  and generation 0 is collected every ``GEN0_THRESHOLD`` net allocations instead of CPython's
  700; on exit the thresholds are restored and the frozen objects rejoin the oldest generation
  (unless the caller had frozen objects itself: then everything stays frozen);
- :func:`collector_for_batch` sets only that threshold (no freeze) for a whole batch command
  (``ringbus backtest``: its imports, set-up, run and report); a live node's latency never
  meets it;
- it changes when cyclic garbage is collected, never what a run computes: no component's state
  depends on collection (no finalizers, no weak references in state), so journals and state
  hashes are the same with or without it (tests/unit/test_gc_policy.py).

Why: a trading run allocates a few objects per record (decoded records, orders, positions) and
keeps many of them, so CPython's default thresholds ran a full collection over every object of
the process about once per 100 k quotes: 0.1 s of a 1.0 s ``ema_cross`` run
(perf/backtest_run.py), plus ~70 young collections. Reference counting frees almost all of a
run's garbage; the collector is only needed for cycles, which the loop does not create.
Around the loop, the command's imports (some 10^5 objects: modules, classes, functions, all kept)
and its report's tables made about 120 young collections more that found next to nothing: 20-25
ms of the ``ema_cross`` command over 100 k quotes (about 9 ms of them before the loop).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: allocations (net of deallocations) between generation-0 collections inside a run
GEN0_THRESHOLD = 100_000


@contextmanager
def collector_for_batch(gen0: int = GEN0_THRESHOLD) -> Iterator[None]:
    """Runs the block with generation 0 collected every ``gen0`` net allocations; restores the
    thresholds on exit (see the module contract)."""
    if gen0 < 1:
        raise ValueError(f"gen0 must be >= 1, got {gen0}")
    old = gc.get_threshold()
    gc.set_threshold(gen0, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


@contextmanager
def collector_for_runs(gen0: int = GEN0_THRESHOLD) -> Iterator[None]:
    """Runs the block with the collector tuned for a long event loop (see the module contract)."""
    frozen_before = gc.get_freeze_count()
    with collector_for_batch(gen0):
        gc.freeze()
        try:
            yield
        finally:
            if not frozen_before:  # the caller froze objects itself (before a fork): keep them
                gc.unfreeze()
