"""The kernel's publish-one cascade (emitted records handled inline) against the general drain."""

from __future__ import annotations

import numpy as np

from engines.strategies.ema_cross import EmaCross
from tests.unit.kernel_rig import SYMBOL, Tape, build, quotes


def _walk(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 110_000 + np.cumsum(rng.integers(-3, 4, n))


def _tape_of(capacity: int, one_at_a_time: bool) -> tuple[np.ndarray, int]:
    tape = Tape()
    kernel = build([EmaCross(SYMBOL, trade_size=1000)], journal=tape, capacity=capacity)
    recs = quotes(kernel, _walk(1500, seed=5))
    for i in range(len(recs)):
        if one_at_a_time:
            kernel.publish_one(recs[i : i + 1])
        else:
            kernel.publish(recs[i : i + 1])  # the general drain, every time
    kernel.stop()
    return tape.records(), kernel.state_hash(scope="all")


def test_trading_through_publish_one_journals_the_records_of_the_general_drain() -> None:
    fast, fast_hash = _tape_of(1 << 14, one_at_a_time=True)
    slow, slow_hash = _tape_of(1 << 14, one_at_a_time=False)
    kinds = set(fast["kind"].tolist())
    assert len(kinds) >= 8  # quotes plus a whole order cascade: orders were traded
    assert fast.tobytes() == slow.tobytes()
    assert fast_hash == slow_hash


def test_a_cascade_that_wraps_a_small_ring_journals_the_same_records() -> None:
    small, small_hash = _tape_of(64, one_at_a_time=True)
    large, large_hash = _tape_of(1 << 14, one_at_a_time=True)
    assert len(small) > 64 * 10  # the ring wrapped many times, cascades across its end
    assert small.tobytes() == large.tobytes()
    assert small_hash == large_hash
