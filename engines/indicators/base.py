"""The indicator base class: input checks, bar access and the common lifecycle."""

from __future__ import annotations

import math
from typing import Any, Protocol


class IndicatorInputError(ValueError):
    """An input an indicator cannot take (NaN, infinite, non-positive period)."""


class BarLike(Protocol):
    """Anything with ``high``, ``low`` and ``close`` (floats, or values with ``as_double()``)."""

    high: Any
    low: Any
    close: Any


def as_float(value: Any, name: str, field: str) -> float:
    """Returns ``value`` as a finite float (Price and Quantity via ``as_double()``); raises
    IndicatorInputError naming the indicator, field and value otherwise."""
    x = value.as_double() if hasattr(value, "as_double") else float(value)
    if not math.isfinite(x):
        raise IndicatorInputError(f"{name}: {field} must be finite, got {value!r}")
    return x


def check_period(period: int, name: str, field: str = "period") -> int:
    """Returns ``period``; raises IndicatorInputError unless it is an int >= 1."""
    if isinstance(period, bool) or not isinstance(period, int) or period < 1:
        raise IndicatorInputError(f"{name}: {field} must be an int >= 1, got {period!r}")
    return period


class Indicator:
    """Base of all indicators: ``value``, ``count``, ``initialized``, ``reset()``.

    Subclasses implement ``_update(x)`` (single-input) or override ``handle_bar``; they keep
    their state in attributes set by ``_reset_state()``, which ``__init__`` and ``reset()`` call.
    """

    name: str = "Indicator"

    def __init__(self) -> None:
        self.value = 0.0
        self.count = 0
        self.initialized = False
        self._reset_state()

    def _reset_state(self) -> None:
        """Sets the subclass's own state to that of a fresh instance."""

    def reset(self) -> None:
        """Returns the indicator to the state of a freshly constructed one."""
        self.value = 0.0
        self.count = 0
        self.initialized = False
        self._reset_state()

    def update(self, value: float) -> None:
        """Feeds one value (a close, a mid, ...)."""
        self.count += 1
        if type(value) is float and value - value == 0.0:  # finite (inf - inf and NaN are NaN)
            self._update(value)
        else:
            self._update(as_float(value, self.name, "value"))

    def _update(self, x: float) -> None:
        raise TypeError(f"{self.name} takes bars: call handle_bar(bar) or update_hlc(h, l, c)")

    def handle_bar(self, bar: BarLike) -> None:
        """Feeds one bar; single-input indicators take its close."""
        self.update(as_float(bar.close, self.name, "close"))

    def __repr__(self) -> str:
        return f"{self.name}(value={self.value!r}, count={self.count}, initialized={self.initialized})"
