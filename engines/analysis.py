"""Performance statistics of a run: returns, Sharpe, Sortino, drawdown, win rate, profit factor,
expectancy.

Design contract:
- pure functions of numpy arrays: the same inputs give the same floats on every run;
- conventions are stated per function (annualisation, ddof, what counts as a win) and a
  statistic that is undefined for the inputs is ``None``, never NaN or infinity, so reports
  serialise to strict JSON;
- returns are daily (UTC days), as NautilusTrader's portfolio analyzer takes them: the equity at
  the end of each UTC day against the day before (the first day against the starting equity);
  Sharpe and Sortino are annualised with ``sqrt(days_per_year)`` (252 by default) and need at
  least :data:`MIN_DAYS` daily returns;
- trade statistics are per closed position (one open -> close cycle), on its realized PnL net
  of its commissions.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

NS_PER_DAY = 24 * 3600 * 1_000_000_000
#: Trading days a year used to annualise daily returns unless configured (the field's norm).
DAYS_PER_YEAR = 252
#: Daily returns a ratio needs (fewer: Sharpe / Sortino are None, reported as "n/a").
MIN_DAYS = 2


def daily_closes(ts_ns: np.ndarray, equity: np.ndarray) -> np.ndarray:
    """Returns the starting equity followed by the equity of the last sample of every UTC day
    in ``ts_ns`` (ascending); a day without a sample is skipped (nothing moved)."""
    ts_ns = np.asarray(ts_ns, dtype=np.int64)
    equity = np.asarray(equity, dtype=np.float64)
    if ts_ns.shape != equity.shape:
        raise ValueError(f"ts_ns and equity differ in length: {ts_ns.size} != {equity.size}")
    if equity.size == 0:
        return equity
    days = ts_ns // NS_PER_DAY
    last_of_day = np.flatnonzero(np.diff(days) != 0)
    ends = np.append(last_of_day, equity.size - 1)
    return np.concatenate([equity[:1], equity[ends]])


def simple_returns(equity: np.ndarray) -> np.ndarray:
    """Returns ``equity[t] / equity[t-1] - 1`` for t >= 1; empty for fewer than two points.

    Periods that start at zero or negative equity yield 0 (the return is undefined there).
    """
    equity = np.asarray(equity, dtype=np.float64)
    if equity.size < 2:
        return np.zeros(0)
    previous = equity[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = np.where(previous > 0, equity[1:] / previous - 1.0, 0.0)
    return returns


def sharpe_ratio(returns: np.ndarray, periods_per_year: float) -> float | None:
    """Returns mean / sample standard deviation (ddof=1) of the period returns, annualised by
    ``sqrt(periods_per_year)``; None for fewer than two returns or zero variance."""
    returns = np.asarray(returns, dtype=np.float64)
    if returns.size < 2:
        return None
    std = float(np.std(returns, ddof=1))
    if std == 0.0:
        return None
    return float(np.mean(returns)) / std * math.sqrt(periods_per_year)


def sortino_ratio(returns: np.ndarray, periods_per_year: float) -> float | None:
    """Returns mean / downside deviation, annualised by ``sqrt(periods_per_year)``.

    Downside deviation = sqrt(mean(min(r, 0)^2)) over all periods (target return 0). None for
    fewer than two returns or no negative return.
    """
    returns = np.asarray(returns, dtype=np.float64)
    if returns.size < 2:
        return None
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2)))
    if downside == 0.0:
        return None
    return float(np.mean(returns)) / downside * math.sqrt(periods_per_year)


def max_drawdown(equity: np.ndarray) -> float:
    """Returns the largest fall from a running peak, as a fraction of that peak (0.25 = 25%).

    Points before the first positive peak are ignored; 0.0 for a curve that never falls.
    """
    equity = np.asarray(equity, dtype=np.float64)
    if equity.size == 0:
        return 0.0
    peaks = np.maximum.accumulate(equity)
    with np.errstate(divide="ignore", invalid="ignore"):
        drawdowns = np.where(peaks > 0, (peaks - equity) / peaks, 0.0)
    return float(np.max(drawdowns))


def win_rate(realized_pnls: np.ndarray) -> float | None:
    """Returns the fraction of closed positions with realized PnL > 0; None when none closed."""
    pnls = np.asarray(realized_pnls, dtype=np.float64)
    if pnls.size == 0:
        return None
    return float(np.count_nonzero(pnls > 0)) / pnls.size


def profit_factor(realized_pnls: np.ndarray) -> float | None:
    """Returns gross profit / gross loss of closed positions (sum of winners / -sum of losers);
    None when there is no loss. Below 1 the losers outweigh the winners."""
    pnls = np.asarray(realized_pnls, dtype=np.float64)
    gross_loss = -float(np.sum(pnls[pnls < 0]))
    if gross_loss == 0.0:
        return None
    return float(np.sum(pnls[pnls > 0])) / gross_loss


def expectancy(realized_pnls: np.ndarray) -> float | None:
    """Returns the mean realized PnL per closed position (= win rate x mean win + loss rate x
    mean loss); None when none closed."""
    pnls = np.asarray(realized_pnls, dtype=np.float64)
    if pnls.size == 0:
        return None
    return float(np.mean(pnls))


@attrs.frozen
class PerformanceStats:
    """Headline statistics of one equity curve and its closed positions."""

    total_return: float | None
    sharpe: float | None
    sortino: float | None
    max_drawdown: float
    win_rate: float | None
    profit_factor: float | None
    expectancy: float | None
    n_days: int
    days_per_year: int

    def to_dict(self) -> dict[str, float | int | None]:
        return attrs.asdict(self)


def performance(
    ts_ns: np.ndarray, equity: np.ndarray, closed_position_pnls: np.ndarray,
    days_per_year: int = DAYS_PER_YEAR,
) -> PerformanceStats:
    """Returns the statistics of an equity curve sampled at ``ts_ns`` (see the module contract:
    daily returns, annualised by ``sqrt(days_per_year)``)."""
    if days_per_year <= 0:
        raise ValueError(f"days_per_year must be positive, got {days_per_year}")
    equity = np.asarray(equity, dtype=np.float64)
    returns = simple_returns(daily_closes(ts_ns, equity))
    enough = returns.size >= MIN_DAYS
    total = None
    if equity.size >= 1 and equity[0] > 0:
        total = float(equity[-1] / equity[0] - 1.0)
    return PerformanceStats(
        total_return=total,
        sharpe=sharpe_ratio(returns, days_per_year) if enough else None,
        sortino=sortino_ratio(returns, days_per_year) if enough else None,
        max_drawdown=max_drawdown(equity),
        win_rate=win_rate(closed_position_pnls),
        profit_factor=profit_factor(closed_position_pnls),
        expectancy=expectancy(closed_position_pnls),
        n_days=int(returns.size),
        days_per_year=int(days_per_year),
    )
