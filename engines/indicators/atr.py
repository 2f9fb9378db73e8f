"""Average true range with Wilder smoothing."""

from __future__ import annotations

from engines.indicators.base import BarLike, Indicator, as_float, check_period


class AverageTrueRange(Indicator):
    """Wilder's ATR over bars.

    Convention: true range ``tr = max(high, prev_close) - min(low, prev_close)``; the first bar's
    ``tr = high - low``. The first ``period`` true ranges are averaged (simple mean; before that,
    ``value`` is the mean so far), then ``atr = atr + (tr - atr) / period`` (Wilder smoothing,
    i.e. an EMA with ``alpha = 1 / period``). ``initialized`` after ``period`` bars.
    """

    name = "ATR"

    def __init__(self, period: int) -> None:
        self.period = check_period(period, self.name)
        super().__init__()

    def _reset_state(self) -> None:
        self._prev_close: float | None = None
        self._tr_sum = 0.0

    def handle_bar(self, bar: BarLike) -> None:
        """Feeds one bar (its high, low and close)."""
        self.update_hlc(
            as_float(bar.high, self.name, "high"),
            as_float(bar.low, self.name, "low"),
            as_float(bar.close, self.name, "close"),
        )

    def update_hlc(self, high: float, low: float, close: float) -> None:
        """Feeds one bar given as raw floats."""
        high = as_float(high, self.name, "high")
        low = as_float(low, self.name, "low")
        close = as_float(close, self.name, "close")
        prev = self._prev_close
        tr = high - low if prev is None else max(high, prev) - min(low, prev)
        self._prev_close = close
        self.count += 1
        if self.count <= self.period:
            self._tr_sum += tr
            self.value = self._tr_sum / self.count
            self.initialized = self.count == self.period
        else:
            self.value += (tr - self.value) / self.period

    def update(self, value: float) -> None:
        """Feeds a single price as a bar with ``high = low = close = value``."""
        self.update_hlc(value, value, value)
