"""Moving averages: simple, exponential and linearly weighted."""

from __future__ import annotations

import math
from collections import deque

from engines.indicators.base import Indicator, IndicatorInputError, check_period


class SimpleMovingAverage(Indicator):
    """Arithmetic mean of the last ``period`` values.

    Before ``period`` values it is the mean of the values seen so far; ``initialized`` after
    ``period`` values. The window sum is kept exactly by recomputing it from the window
    (``math.fsum``) every ``period`` updates, so rounding error does not accumulate.
    """

    name = "SMA"

    def __init__(self, period: int) -> None:
        self.period = check_period(period, self.name)
        super().__init__()

    def _reset_state(self) -> None:
        self._window: deque[float] = deque(maxlen=self.period)
        self._sum = 0.0

    def _update(self, x: float) -> None:
        window = self._window
        if len(window) == self.period:
            self._sum -= window[0]
        window.append(x)
        if self.count % self.period == 0:
            self._sum = math.fsum(window)
        else:
            self._sum += x
        self.value = self._sum / len(window)
        if len(window) == self.period:
            self.initialized = True


class ExponentialMovingAverage(Indicator):
    """``ema = alpha * x + (1 - alpha) * ema`` with ``alpha = 2 / (period + 1)`` (or as given).

    Seeded with the first value (``ema = x0``); ``initialized`` after ``period`` values. This is
    the convention the ema_cross example strategy relies on.
    """

    name = "EMA"

    def __init__(self, period: int, alpha: float | None = None) -> None:
        self.period = check_period(period, self.name)
        self.alpha = 2.0 / (period + 1) if alpha is None else float(alpha)
        if not 0.0 < self.alpha <= 1.0:
            raise IndicatorInputError(f"{self.name}: alpha must be in (0, 1], got {alpha!r}")
        super().__init__()

    def _update(self, x: float) -> None:
        count = self.count
        if count == 1:
            self.value = x
        else:
            alpha = self.alpha
            self.value = alpha * x + (1.0 - alpha) * self.value
        if count >= self.period:
            self.initialized = True


class WeightedMovingAverage(Indicator):
    """Linearly weighted mean of the last ``period`` values: the newest weighs ``n``, the oldest
    ``1`` (``n`` = values in the window). ``initialized`` after ``period`` values."""

    name = "WMA"

    def __init__(self, period: int) -> None:
        self.period = check_period(period, self.name)
        super().__init__()

    def _reset_state(self) -> None:
        self._window: deque[float] = deque(maxlen=self.period)

    def _update(self, x: float) -> None:
        self._window.append(x)
        n = len(self._window)
        total = 0.0
        for weight, v in enumerate(self._window, start=1):
            total += weight * v
        self.value = total / (n * (n + 1) / 2)
        if n == self.period:
            self.initialized = True
