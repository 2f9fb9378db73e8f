"""Technical indicators: incremental, deterministic, plain-float.

Design contract:
- every indicator is fed one value (``update(x)``) or one bar (``handle_bar(bar)``) at a time and
  keeps O(period) state; ``value`` is readable at any time (0.0 before the first input);
- ``initialized`` turns True once the indicator has seen enough inputs for its definition (stated
  in each class docstring) and never turns back except by ``reset()``;
- ``reset()`` returns an indicator to exactly the state of a freshly constructed one;
- nothing here reads a clock or a random source: the same inputs give the same outputs, bit for bit;
- a non-finite input raises :class:`IndicatorInputError` naming the indicator and the value.
"""

from engines.indicators.atr import AverageTrueRange
from engines.indicators.base import Indicator, IndicatorInputError
from engines.indicators.bollinger import BollingerBands
from engines.indicators.donchian import DonchianChannel
from engines.indicators.macd import MovingAverageConvergenceDivergence
from engines.indicators.moving_averages import (
    ExponentialMovingAverage,
    SimpleMovingAverage,
    WeightedMovingAverage,
)
from engines.indicators.rsi import RelativeStrengthIndex

__all__ = [
    "AverageTrueRange",
    "BollingerBands",
    "DonchianChannel",
    "ExponentialMovingAverage",
    "Indicator",
    "IndicatorInputError",
    "MovingAverageConvergenceDivergence",
    "RelativeStrengthIndex",
    "SimpleMovingAverage",
    "WeightedMovingAverage",
]
