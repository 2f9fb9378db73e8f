"""Moving average convergence divergence."""

from __future__ import annotations

from engines.indicators.base import Indicator, IndicatorInputError, check_period
from engines.indicators.moving_averages import ExponentialMovingAverage


class MovingAverageConvergenceDivergence(Indicator):
    """``macd = EMA(fast) - EMA(slow)``; ``signal = EMA(signal_period)`` of ``macd``;
    ``histogram = macd - signal``.

    Convention: the three EMAs follow :class:`ExponentialMovingAverage` (seeded with their first
    input); the signal EMA is fed every ``macd`` value from the first one. ``value`` is ``macd``.
    ``initialized`` after ``slow`` values.
    """

    name = "MACD"

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9) -> None:
        self.fast = check_period(fast, self.name, "fast")
        self.slow = check_period(slow, self.name, "slow")
        self.signal_period = check_period(signal, self.name, "signal")
        if fast >= slow:
            raise IndicatorInputError(f"{self.name}: fast must be < slow, got {fast} >= {slow}")
        super().__init__()

    def _reset_state(self) -> None:
        self._fast = ExponentialMovingAverage(self.fast)
        self._slow = ExponentialMovingAverage(self.slow)
        self._signal = ExponentialMovingAverage(self.signal_period)
        self.signal = 0.0
        self.histogram = 0.0

    def _update(self, x: float) -> None:
        self._fast.update(x)
        self._slow.update(x)
        self.value = self._fast.value - self._slow.value
        self._signal.update(self.value)
        self.signal = self._signal.value
        self.histogram = self.value - self.signal
        self.initialized = self._slow.initialized
