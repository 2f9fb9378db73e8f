"""Performance statistics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engines.analysis import (
    NS_PER_YEAR,
    max_drawdown,
    performance,
    profit_factor,
    sharpe_ratio,
    simple_returns,
    sortino_ratio,
    win_rate,
)


def test_simple_returns_are_period_over_period():
    assert simple_returns(np.array([100.0, 110.0, 99.0])) == pytest.approx([0.10, -0.10])
    assert simple_returns(np.array([100.0])).size == 0


def test_sharpe_uses_the_sample_standard_deviation_and_annualises():
    returns = np.array([0.01, -0.02, 0.03, 0.0])
    mean, std = 0.005, math.sqrt(((0.005**2) + 0.025**2 + 0.025**2 + 0.005**2) / 3)
    assert sharpe_ratio(returns, 252) == pytest.approx(mean / std * math.sqrt(252))


def test_sortino_divides_by_the_downside_deviation():
    returns = np.array([0.01, -0.02, 0.03, 0.0])
    downside = math.sqrt(0.02**2 / 4)
    assert sortino_ratio(returns, 252) == pytest.approx(0.005 / downside * math.sqrt(252))


def test_ratios_are_none_when_undefined():
    assert sharpe_ratio(np.array([0.01]), 252) is None
    assert sharpe_ratio(np.array([0.01, 0.01]), 252) is None
    assert sortino_ratio(np.array([0.01, 0.02]), 252) is None


def test_max_drawdown_is_the_largest_fall_from_a_running_peak():
    assert max_drawdown(np.array([100, 120, 90, 130, 104])) == pytest.approx(0.25)
    assert max_drawdown(np.array([1, 2, 3])) == 0.0


def test_win_rate_and_profit_factor_count_closed_positions():
    pnls = np.array([10.0, -5.0, 20.0, -5.0, 0.0])
    assert win_rate(pnls) == pytest.approx(0.4)
    assert profit_factor(pnls) == pytest.approx(3.0)
    assert win_rate(np.array([])) is None
    assert profit_factor(np.array([1.0])) is None


def test_performance_annualises_by_the_sampling_interval():
    day = NS_PER_YEAR // 365
    stats = performance(np.array([100.0, 101.0, 99.0, 102.0]), day, np.array([1.0, -1.0]))
    returns = simple_returns(np.array([100.0, 101.0, 99.0, 102.0]))
    assert stats.total_return == pytest.approx(0.02)
    assert stats.sharpe == pytest.approx(sharpe_ratio(returns, 365))
    assert stats.n_periods == 3
    assert set(stats.to_dict()) >= {"sharpe", "sortino", "max_drawdown", "win_rate"}


def test_performance_refuses_a_non_positive_interval():
    with pytest.raises(ValueError, match="interval_ns must be positive, got 0"):
        performance(np.array([1.0]), 0, np.array([]))
