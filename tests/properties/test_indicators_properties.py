"""Properties of the indicators over arbitrary finite price series."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from engines.indicators import (
    BollingerBands,
    DonchianChannel,
    ExponentialMovingAverage,
    RelativeStrengthIndex,
    SimpleMovingAverage,
    WeightedMovingAverage,
)

prices = st.lists(
    st.floats(min_value=0.01, max_value=1e6, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=200,
)
periods = st.integers(min_value=1, max_value=30)


@given(prices, periods)
def test_sma_equals_the_mean_of_the_last_period_values(xs, period):
    sma = SimpleMovingAverage(period)
    for i, x in enumerate(xs):
        sma.update(x)
        window = xs[max(0, i + 1 - period): i + 1]
        assert np.isclose(sma.value, np.mean(window), rtol=1e-9)
        assert sma.initialized == (i + 1 >= period)


@given(prices, periods)
def test_moving_averages_stay_within_the_range_of_their_inputs(xs, period):
    for ma in (SimpleMovingAverage(period), ExponentialMovingAverage(period),
               WeightedMovingAverage(period)):
        for x in xs:
            ma.update(x)
        lo, hi = min(xs), max(xs)
        tol = 1e-9 * hi
        assert lo - tol <= ma.value <= hi + tol


@given(prices, periods)
def test_rsi_is_always_between_0_and_100(xs, period):
    rsi = RelativeStrengthIndex(period)
    for x in xs:
        rsi.update(x)
        assert 0.0 <= rsi.value <= 100.0


@given(prices, periods, st.floats(min_value=0.1, max_value=4.0))
def test_bollinger_bands_are_ordered_and_symmetric_about_the_middle(xs, period, k):
    bb = BollingerBands(period, k)
    for x in xs:
        bb.update(x)
        assert bb.lower <= bb.middle <= bb.upper
        assert np.isclose(bb.upper - bb.middle, bb.middle - bb.lower, rtol=1e-9, atol=1e-9)


@given(prices, periods)
def test_donchian_middle_lies_between_its_bands(xs, period):
    dc = DonchianChannel(period)
    for x in xs:
        dc.update(x)
        assert dc.lower <= dc.middle <= dc.upper


@given(prices, periods)
def test_two_indicators_fed_the_same_values_agree_bit_for_bit(xs, period):
    a, b = ExponentialMovingAverage(period), ExponentialMovingAverage(period)
    for x in xs:
        a.update(x)
    for x in xs:
        b.update(x)
    assert a.value == b.value
