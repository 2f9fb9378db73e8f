"""Indicators checked against direct numpy / pure-Python computations on real market data."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import numpy as np
import pytest

from domain.values import Price
from engines.indicators import (
    AverageTrueRange,
    BollingerBands,
    DonchianChannel,
    ExponentialMovingAverage,
    IndicatorInputError,
    MovingAverageConvergenceDivergence,
    RelativeStrengthIndex,
    SimpleMovingAverage,
    WeightedMovingAverage,
)

N_BARS = 5000


def _ohlc(path: Path, n: int = N_BARS) -> np.ndarray:
    """Returns an (n, 3) array of high, low, close from a bar CSV with a header row."""
    with path.open() as f:
        reader = csv.DictReader(f)
        rows = [
            (float(r["high"]), float(r["low"]), float(r["close"]))
            for r in itertools.islice(reader, n)
        ]
    return np.array(rows)


@pytest.fixture(scope="module")
def gbpusd(shared_data: Path) -> np.ndarray:
    return _ohlc(shared_data / "gbpusd-m1-bid-2012.csv")


@pytest.fixture(scope="module")
def btc(shared_data: Path) -> np.ndarray:
    return _ohlc(shared_data / "btc-perp-20211231-20220201_1m.csv")


@pytest.fixture(scope="module")
def eurusd_mids(shared_data: Path) -> np.ndarray:
    with (shared_data / "quote_tick_data.csv").open() as f:
        rows = [(float(r[1]) + float(r[2])) / 2.0 for r in csv.reader(f)]
    return np.array(rows)


def _run(indicator, xs: np.ndarray, attr: str = "value") -> np.ndarray:
    out = np.empty(len(xs))
    for i, x in enumerate(xs):
        indicator.update(float(x))
        out[i] = getattr(indicator, attr)
    return out


def _windows(xs: np.ndarray, period: int) -> np.ndarray:
    return np.lib.stride_tricks.sliding_window_view(xs, period)


def _ema_closed_form(xs: np.ndarray, alpha: float) -> np.ndarray:
    """ema_t = (1-a)^t x0 + sum_{i=1..t} a (1-a)^(t-i) x_i, computed by matrix, not recursion."""
    n = len(xs)
    t = np.arange(n)
    lag = t[:, None] - t[None, :]
    weights = np.where(lag >= 0, alpha * (1.0 - alpha) ** np.maximum(lag, 0), 0.0)
    weights[:, 0] = (1.0 - alpha) ** t
    return weights @ xs


@pytest.mark.parametrize("period", [1, 10, 50])
def test_sma_equals_the_numpy_mean_of_each_window_on_gbpusd_closes(gbpusd, period):
    closes = gbpusd[:, 2]
    got = _run(SimpleMovingAverage(period), closes)
    expected = _windows(closes, period).mean(axis=1)
    np.testing.assert_allclose(got[period - 1:], expected, rtol=1e-12)
    np.testing.assert_allclose(got[: period - 1], np.cumsum(closes)[: period - 1] / np.arange(1, period))


def test_sma_is_initialized_exactly_after_period_values():
    sma = SimpleMovingAverage(3)
    flags = []
    for x in (1.0, 2.0, 3.0, 4.0):
        sma.update(x)
        flags.append(sma.initialized)
    assert flags == [False, False, True, True]
    assert sma.value == 3.0


@pytest.mark.parametrize("period", [5, 20])
def test_ema_matches_its_closed_form_on_btc_closes(btc, period):
    closes = btc[:1500, 2]
    ema = ExponentialMovingAverage(period)
    got = _run(ema, closes)
    np.testing.assert_allclose(got, _ema_closed_form(closes, 2.0 / (period + 1)), rtol=1e-10)
    assert ema.alpha == 2.0 / (period + 1)


def test_ema_is_seeded_with_the_first_value_and_initialized_after_period_values():
    ema = ExponentialMovingAverage(3)
    ema.update(10.0)
    assert ema.value == 10.0 and not ema.initialized
    ema.update(14.0)
    assert ema.value == 12.0 and not ema.initialized
    ema.update(12.0)
    assert ema.value == 12.0 and ema.initialized


def test_wma_equals_the_numpy_weighted_mean_of_each_window_on_eurusd_mids(eurusd_mids):
    period = 15
    got = _run(WeightedMovingAverage(period), eurusd_mids)
    weights = np.arange(1, period + 1, dtype=float)
    expected = _windows(eurusd_mids, period) @ weights / weights.sum()
    np.testing.assert_allclose(got[period - 1:], expected, rtol=1e-12)


def _true_ranges(hlc: np.ndarray) -> np.ndarray:
    high, low, close = hlc.T
    prev = np.concatenate(([np.nan], close[:-1]))
    tr = np.maximum(high, prev) - np.minimum(low, prev)
    tr[0] = high[0] - low[0]
    return tr


@pytest.mark.parametrize("data", ["gbpusd", "btc"])
def test_atr_follows_wilder_smoothing_of_numpy_true_ranges(request, data):
    hlc = request.getfixturevalue(data)
    period = 14
    atr = AverageTrueRange(period)
    got = np.empty(len(hlc))
    for i, (h, lo, c) in enumerate(hlc):
        atr.update_hlc(h, lo, c)
        got[i] = atr.value
    tr = _true_ranges(hlc)
    expected = np.empty(len(tr))
    expected[:period] = np.cumsum(tr[:period]) / np.arange(1, period + 1)
    for i in range(period, len(tr)):
        expected[i] = (expected[i - 1] * (period - 1) + tr[i]) / period
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    assert atr.initialized


def test_atr_takes_bars_with_price_fields():
    class Bar:
        def __init__(self, h: str, lo: str, c: str) -> None:
            self.high, self.low, self.close = Price.from_str(h), Price.from_str(lo), Price.from_str(c)

    atr = AverageTrueRange(2)
    atr.handle_bar(Bar("1.10", "1.00", "1.05"))
    atr.handle_bar(Bar("1.20", "1.08", "1.15"))
    # tr1 = 0.10, tr2 = max(1.20, 1.05) - min(1.08, 1.05) = 0.15
    assert atr.value == pytest.approx(0.125)
    assert atr.initialized


def _rsi_reference(xs: np.ndarray, period: int) -> np.ndarray:
    change = np.diff(xs)
    gain, loss = np.maximum(change, 0.0), np.maximum(-change, 0.0)
    out = np.full(len(xs), 50.0)
    ag, al = gain[:period].mean(), loss[:period].mean()
    for i in range(period, len(change) + 1):
        if i > period:
            ag = (ag * (period - 1) + gain[i - 1]) / period
            al = (al * (period - 1) + loss[i - 1]) / period
        out[i] = 100.0 if al == 0 and ag > 0 else 50.0 if al == 0 else 100 - 100 / (1 + ag / al)
    return out


@pytest.mark.parametrize("data", ["gbpusd", "btc"])
def test_rsi_matches_a_wilder_reference_on_real_closes(request, data):
    closes = request.getfixturevalue(data)[:, 2]
    period = 14
    rsi = RelativeStrengthIndex(period)
    got = _run(rsi, closes)
    np.testing.assert_allclose(got[period:], _rsi_reference(closes, period)[period:], atol=1e-8)
    assert ((got >= 0) & (got <= 100)).all()


def test_rsi_is_initialized_after_period_changes_and_is_100_on_a_steady_rise():
    rsi = RelativeStrengthIndex(3)
    for x in (1.0, 2.0, 3.0):
        rsi.update(x)
    assert not rsi.initialized
    rsi.update(4.0)
    assert rsi.initialized and rsi.value == 100.0


def test_bollinger_uses_the_population_std_of_each_window_on_gbpusd(gbpusd):
    closes = gbpusd[:, 2]
    period, k = 20, 2.0
    bb = BollingerBands(period, k)
    upper, lower = np.empty(len(closes)), np.empty(len(closes))
    for i, x in enumerate(closes):
        bb.update(x)
        upper[i], lower[i] = bb.upper, bb.lower
    win = _windows(closes, period)
    mean, std = win.mean(axis=1), win.std(axis=1, ddof=0)
    np.testing.assert_allclose(upper[period - 1:], mean + k * std, rtol=1e-12)
    np.testing.assert_allclose(lower[period - 1:], mean - k * std, rtol=1e-12)
    assert bb.middle == pytest.approx(mean[-1], rel=1e-12)


def test_macd_is_the_difference_of_two_emas_and_its_signal_an_ema_of_it(btc):
    closes = btc[:, 2]
    macd = MovingAverageConvergenceDivergence(12, 26, 9)
    got, sig = np.empty(len(closes)), np.empty(len(closes))
    for i, x in enumerate(closes):
        macd.update(x)
        got[i], sig[i] = macd.value, macd.signal
    fast = _run(ExponentialMovingAverage(12), closes)
    slow = _run(ExponentialMovingAverage(26), closes)
    np.testing.assert_allclose(got, fast - slow, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(sig, _run(ExponentialMovingAverage(9), fast - slow), atol=1e-9)
    assert macd.histogram == pytest.approx(got[-1] - sig[-1])


def test_donchian_bands_are_the_window_extremes_on_btc(btc):
    period = 20
    dc = DonchianChannel(period)
    upper, lower = np.empty(len(btc)), np.empty(len(btc))
    for i, (h, lo, _) in enumerate(btc):
        dc.update_hl(h, lo)
        upper[i], lower[i] = dc.upper, dc.lower
    np.testing.assert_array_equal(upper[period - 1:], _windows(btc[:, 0], period).max(axis=1))
    np.testing.assert_array_equal(lower[period - 1:], _windows(btc[:, 1], period).min(axis=1))
    assert dc.initialized and dc.value == (dc.upper + dc.lower) / 2


@pytest.mark.parametrize(
    "factory",
    [
        lambda: SimpleMovingAverage(7),
        lambda: ExponentialMovingAverage(7),
        lambda: WeightedMovingAverage(7),
        lambda: AverageTrueRange(7),
        lambda: RelativeStrengthIndex(7),
        lambda: BollingerBands(7),
        lambda: MovingAverageConvergenceDivergence(3, 7, 4),
        lambda: DonchianChannel(7),
    ],
)
def test_reset_returns_an_indicator_to_the_state_of_a_fresh_one(gbpusd, factory):
    closes = gbpusd[:100, 2]
    used, fresh = factory(), factory()
    _run(used, closes[:50])
    used.reset()
    assert not used.initialized and used.count == 0
    np.testing.assert_array_equal(_run(used, closes), _run(fresh, closes))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_a_non_finite_input_is_refused_naming_the_indicator_and_value(bad):
    with pytest.raises(IndicatorInputError, match=r"EMA: value must be finite, got (nan|inf|-inf)"):
        ExponentialMovingAverage(3).update(bad)


@pytest.mark.parametrize("period", [0, -1, 2.5, True])
def test_a_period_that_is_not_a_positive_int_is_refused(period):
    with pytest.raises(IndicatorInputError, match=r"SMA: period must be an int >= 1"):
        SimpleMovingAverage(period)


def test_macd_refuses_a_fast_period_not_below_the_slow_one():
    with pytest.raises(IndicatorInputError, match="fast must be < slow, got 26 >= 12"):
        MovingAverageConvergenceDivergence(26, 12)
