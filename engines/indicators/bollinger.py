"""Bollinger bands: a simple moving average plus and minus k population standard deviations."""

from __future__ import annotations

import math
from collections import deque

from engines.indicators.base import Indicator, IndicatorInputError, check_period


class BollingerBands(Indicator):
    """``middle = mean(window)``, ``upper/lower = middle ± k * std(window)``.

    Convention: ``std`` is the POPULATION standard deviation (``ddof=0``, as ``numpy.std``) of
    the last ``period`` values, computed two-pass from the window each update (no running sum
    of squares, which loses precision on FX prices near 1.3). ``value`` is ``middle``. Before
    ``period`` values, the bands use the values seen so far; ``initialized`` after ``period``.
    """

    name = "BB"

    def __init__(self, period: int, k: float = 2.0) -> None:
        self.period = check_period(period, self.name)
        if not (math.isfinite(k) and k > 0.0):
            raise IndicatorInputError(f"{self.name}: k must be finite and > 0, got {k!r}")
        self.k = float(k)
        super().__init__()

    def _reset_state(self) -> None:
        self._window: deque[float] = deque(maxlen=self.period)
        self.upper = 0.0
        self.middle = 0.0
        self.lower = 0.0
        self.std = 0.0

    def _update(self, x: float) -> None:
        window = self._window
        window.append(x)
        n = len(window)
        mean = math.fsum(window) / n
        var = math.fsum((v - mean) * (v - mean) for v in window) / n
        self.std = math.sqrt(var)
        self.middle = self.value = mean
        self.upper = mean + self.k * self.std
        self.lower = mean - self.k * self.std
        if n == self.period:
            self.initialized = True
