"""Donchian channel: the highest high and lowest low of the last ``period`` bars."""

from __future__ import annotations

from collections import deque

from engines.indicators.base import BarLike, Indicator, as_float, check_period


class DonchianChannel(Indicator):
    """``upper = max(high)``, ``lower = min(low)`` over the last ``period`` bars;
    ``middle = value = (upper + lower) / 2``. ``initialized`` after ``period`` bars.
    ``update(x)`` feeds a bar with ``high = low = x``."""

    name = "DONCHIAN"

    def __init__(self, period: int) -> None:
        self.period = check_period(period, self.name)
        super().__init__()

    def _reset_state(self) -> None:
        self._highs: deque[float] = deque(maxlen=self.period)
        self._lows: deque[float] = deque(maxlen=self.period)
        self.upper = 0.0
        self.lower = 0.0
        self.middle = 0.0

    def handle_bar(self, bar: BarLike) -> None:
        """Feeds one bar (its high and low)."""
        self.update_hl(as_float(bar.high, self.name, "high"), as_float(bar.low, self.name, "low"))

    def update_hl(self, high: float, low: float) -> None:
        """Feeds one bar given as raw floats."""
        self.count += 1
        self._push(as_float(high, self.name, "high"), as_float(low, self.name, "low"))

    def _update(self, x: float) -> None:
        self._push(x, x)

    def _push(self, high: float, low: float) -> None:
        self._highs.append(high)
        self._lows.append(low)
        self.upper = max(self._highs)
        self.lower = min(self._lows)
        self.middle = self.value = (self.upper + self.lower) / 2.0
        if len(self._highs) == self.period:
            self.initialized = True
