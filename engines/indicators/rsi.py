"""Relative strength index with Wilder smoothing."""

from __future__ import annotations

from engines.indicators.base import Indicator, check_period


class RelativeStrengthIndex(Indicator):
    """Wilder's RSI, on a 0..100 scale.

    Convention: ``change = x - prev``; gains and losses are ``max(change, 0)`` and
    ``max(-change, 0)``. The first ``period`` changes are averaged (simple mean), then each
    average is smoothed ``avg = avg + (g - avg) / period`` (Wilder). ``rsi = 100 - 100 / (1 + rs)``
    with ``rs = avg_gain / avg_loss``; 100 when ``avg_loss == 0 < avg_gain``, 50 when both are 0.
    ``value`` is 50 before the first change. ``initialized`` after ``period`` changes, that is
    ``period + 1`` values.
    """

    name = "RSI"

    def __init__(self, period: int) -> None:
        self.period = check_period(period, self.name)
        super().__init__()

    def _reset_state(self) -> None:
        self._prev: float | None = None
        self.avg_gain = 0.0
        self.avg_loss = 0.0
        self.value = 50.0

    def _update(self, x: float) -> None:
        prev, self._prev = self._prev, x
        if prev is None:
            self.value = 50.0
            return
        change = x - prev
        gain = change if change > 0.0 else 0.0
        loss = -change if change < 0.0 else 0.0
        n_changes = self.count - 1
        if n_changes <= self.period:
            self.avg_gain += (gain - self.avg_gain) / n_changes
            self.avg_loss += (loss - self.avg_loss) / n_changes
            self.initialized = n_changes == self.period
        else:
            self.avg_gain += (gain - self.avg_gain) / self.period
            self.avg_loss += (loss - self.avg_loss) / self.period
        self.value = _rsi(self.avg_gain, self.avg_loss)


def _rsi(avg_gain: float, avg_loss: float) -> float:
    if avg_loss == 0.0:
        return 100.0 if avg_gain > 0.0 else 50.0
    return 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)
