"""The kernel's publish-one cascade (emitted records handled inline) against the general drain."""

from __future__ import annotations

import numpy as np
import pytest

from engines.strategies.ema_cross import EmaCross
from tests.unit.kernel_rig import SYMBOL, Tape, build, quotes


def _walk(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 110_000 + np.cumsum(rng.integers(-3, 4, n))


class _FailingEmaCross(EmaCross):
    """Trades like EmaCross, then raises on its ``fail_at``-th quote (a strategy bug)."""

    fail_at = 900

    def on_quote(self, quote) -> None:  # noqa: ANN001
        super().on_quote(quote)
        if self.count == self.fail_at:
            raise RuntimeError(f"bug on quote {self.count}")


def _tape_of(capacity: int, one_at_a_time: bool, journal_lag: int = 0,
             strategy: type[EmaCross] = EmaCross) -> tuple[np.ndarray, int]:
    tape = Tape()
    kernel = build([strategy(SYMBOL, trade_size=1000)], journal=tape, capacity=capacity,
                   journal_lag=journal_lag)
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


@pytest.mark.parametrize(("capacity", "lag"), [(64, 32), (1 << 14, 4096), (1 << 14, 1)])
def test_a_lagging_journal_takes_the_records_of_the_inline_one(capacity: int, lag: int) -> None:
    lagged, lagged_hash = _tape_of(capacity, one_at_a_time=True, journal_lag=lag)
    inline, inline_hash = _tape_of(1 << 14, one_at_a_time=True)
    assert lagged.tobytes() == inline.tobytes()
    assert lagged_hash == inline_hash


def _tape_until_fault(journal_lag: int) -> tuple[np.ndarray, str]:
    tape = Tape()
    kernel = build([_FailingEmaCross(SYMBOL, trade_size=1000)], journal=tape,
                   journal_lag=journal_lag)
    recs = quotes(kernel, _walk(1500, seed=5))
    with pytest.raises(RuntimeError, match="bug on quote 900") as info:
        for i in range(len(recs)):
            kernel.publish_one(recs[i : i + 1])
    assert kernel.faulted is info.value
    return tape.records(), str(info.value)


def test_a_faulted_kernel_journals_every_published_record_with_or_without_a_lag() -> None:
    lagged, _ = _tape_until_fault(journal_lag=4096)
    inline, _ = _tape_until_fault(journal_lag=0)
    assert lagged.tobytes() == inline.tobytes()
    assert lagged["kind"].tolist().count(int(lagged["kind"][-1])) > 1  # quotes, orders before it
    assert len(lagged) > 900
