"""Performance statistics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engines.analysis import (
    NS_PER_DAY,
    daily_closes,
    expectancy,
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


def test_expectancy_is_the_mean_pnl_per_closed_position():
    pnls = np.array([10.0, -5.0, 20.0, -5.0, 0.0])
    assert expectancy(pnls) == pytest.approx(4.0)
    assert expectancy(pnls) == pytest.approx(0.4 * 15.0 + 0.4 * -5.0)
    assert expectancy(np.array([])) is None


def test_daily_closes_take_the_last_sample_of_each_utc_day_after_the_start():
    day = NS_PER_DAY
    ts = np.array([day + 5, day + 60, 2 * day - 1, 2 * day, 4 * day + 1])
    eq = np.array([100.0, 101.0, 102.0, 103.0, 104.0])
    assert daily_closes(ts, eq).tolist() == [100.0, 102.0, 103.0, 104.0]
    assert daily_closes(np.array([], dtype=np.int64), np.array([])).size == 0


def test_performance_takes_daily_returns_annualised_with_sqrt_252_by_default():
    minute = 60_000_000_000
    # four UTC days, sampled every minute near each day's end: only the closes count
    ts = np.array([0, NS_PER_DAY - minute, 2 * NS_PER_DAY - 2 * minute, 2 * NS_PER_DAY - minute,
                   3 * NS_PER_DAY - minute, 4 * NS_PER_DAY - minute])
    eq = np.array([100.0, 101.0, 50.0, 99.0, 102.0, 103.0])
    stats = performance(ts, eq, np.array([1.0, -1.0]))
    daily = simple_returns(np.array([100.0, 101.0, 99.0, 102.0, 103.0]))
    assert stats.n_days == 4 and stats.days_per_year == 252
    assert stats.total_return == pytest.approx(0.03)
    assert stats.sharpe == pytest.approx(sharpe_ratio(daily, 252))
    assert stats.sortino == pytest.approx(sortino_ratio(daily, 252))
    assert performance(ts, eq, np.array([]), days_per_year=365).sharpe == pytest.approx(
        sharpe_ratio(daily, 365))
    assert set(stats.to_dict()) >= {"sharpe", "sortino", "max_drawdown", "win_rate", "expectancy"}


def test_a_run_within_one_day_has_no_sharpe():
    ts = np.arange(0, 600) * 60_000_000_000
    eq = 100.0 + np.sin(np.arange(600))
    stats = performance(ts, eq, np.array([]))
    assert stats.n_days == 1 and stats.sharpe is None and stats.sortino is None


def test_performance_refuses_a_non_positive_year():
    with pytest.raises(ValueError, match="days_per_year must be positive, got 0"):
        performance(np.array([1]), np.array([1.0]), np.array([]), days_per_year=0)
