"""Brackets across a year of minute bars (issue 12, "How it must show"): the shared data holds
only Feb-Mar 2012, so a seeded synthetic year of GBP/USD-like bid and ask minute bars
(replay/testing/synthetic_bars.py) stands in. From flat, the bracket example opens positions;
each entered bracket ends with exactly one exit filled and the other canceled by that fill's
cascade, no orphaned child at the end, every fill inside its bar on its side. The same with the
stop-loss emulated in the kernel, and on the real Feb-Mar file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from domain.enums import PriceType
from domain.kinds import KIND_DTYPES, Kind
from examples.bracket.run_bracket import run_bars
from replay.testing.synthetic_bars import MINUTE_NS, START_2012_NS, fx_minute_bars, open_minutes
from tests.unit.test_bar_execution import check_bracket_run, check_brackets, fills_within_bars

_BAR = KIND_DTYPES[Kind.BAR]


def test_the_synthetic_bars_are_seeded_and_byte_identical_for_the_same_seed() -> None:
    a, b, c = fx_minute_bars(7, seed=3), fx_minute_bars(7, seed=3), fx_minute_bars(7, seed=4)
    assert a[0].tobytes() == b[0].tobytes() and a[1].tobytes() == b[1].tobytes()
    assert a[0].tobytes() != c[0].tobytes()


def test_the_market_is_closed_from_friday_22_to_sunday_22_utc() -> None:
    bid, ask = fx_minute_bars(28, seed=1)
    opens = bid.view(_BAR)["ts_open"]
    when = [dt.datetime.fromtimestamp(int(t) // 10**9, dt.UTC) for t in opens]
    closed = [w for w in when if (w.weekday() == 4 and w.hour >= 22) or w.weekday() == 5
              or (w.weekday() == 6 and w.hour < 22)]
    assert not closed
    # every other minute trades: 4 sessions of Sunday 22:00 to Friday 22:00 (5 x 1440 minutes)
    assert len(opens) == len(open_minutes(int(opens[0]) - 22 * 3600 * 10**9, 28)) == 28_800
    assert np.array_equal(ask.view(_BAR)["ts_open"], opens)
    gaps = np.flatnonzero(np.diff(opens) != MINUTE_NS)
    assert len(gaps) == 3 and np.all(np.diff(opens)[gaps] == 48 * 3600 * 10**9 + MINUTE_NS)


def test_every_bar_is_a_consistent_ohlc_and_the_ask_is_above_the_bid_by_the_spread() -> None:
    bid, ask = (x.view(_BAR) for x in fx_minute_bars(30, seed=2, spread=6))
    for b in (bid, ask):
        assert np.all(b["high"] >= np.maximum(b["open"], b["close"]))
        assert np.all(b["low"] <= np.minimum(b["open"], b["close"])) and np.all(b["low"] > 0)
        assert np.all(b["ts_event"] == b["ts_open"] + MINUTE_NS)
        assert np.array_equal(b["open"][1:], b["close"][:-1])  # continuous, as the real files
    assert set(bid["price_type"].tolist()) == {int(PriceType.BID)}
    assert set(ask["price_type"].tolist()) == {int(PriceType.ASK)}
    for field in ("open", "high", "low", "close"):
        assert np.all(ask[field] - bid[field] >= 6)
    # like the shared GBP/USD minute bars: a median range of about 20 ticks
    assert 12 <= np.median(bid["high"] - bid["low"]) <= 30


@pytest.mark.parametrize("emulate_stop", [False, True])
def test_brackets_over_a_synthetic_weekend_of_bars_leave_no_orphaned_child(
        emulate_stop: bool) -> None:
    # Thursday 2012-01-05 to Monday 2012-01-09: 4,320 bars, the weekend gap among them
    bid, ask = fx_minute_bars(5, seed=11, start_ns=START_2012_NS + 4 * 86_400 * 10**9)
    assert len(bid) == 4_320
    result = check_bracket_run(bid, ask, emulate_stop=emulate_stop)
    assert result["brackets"] > 300 and result["take_profit"] > 50 and result["stop_loss"] > 50


@pytest.mark.slow
@pytest.mark.parametrize("emulate_stop", [False, True])
def test_brackets_across_a_synthetic_year_of_minute_bars_leave_no_orphaned_child(
        emulate_stop: bool) -> None:
    bid, _ = year = fx_minute_bars(366, seed=2012)
    assert len(bid) > 370_000  # 52 weeks of 5 x 1440 minutes, and a bit
    result = check_bracket_run(*year, emulate_stop=emulate_stop)
    assert result["brackets"] > 50_000


def test_brackets_with_an_emulated_stop_loss_on_real_minute_bars(shared_data: Path) -> None:
    result = check_brackets(shared_data, 3000, emulate_stop=True)
    assert result["brackets"] > 100


@pytest.mark.slow
def test_brackets_with_an_emulated_stop_loss_on_every_gbpusd_minute_bar(
        shared_data: Path) -> None:
    result = check_brackets(shared_data, None, emulate_stop=True)
    assert result["brackets"] > 1000


def test_a_bid_only_bar_series_delivers_its_bid_bars_once_and_fills_on_them() -> None:
    """A single-sided series (no ASK bars): ``subscribe_bars(..., PriceType.BID)`` gets every
    bid bar once, and both sides fill on the bid path (spread 0), inside the bars."""
    bid, _ = fx_minute_bars(2, seed=5, start_ns=START_2012_NS + 86_400 * 10**9)
    harness, strategy = run_bars(bid, bid[:0])
    assert harness.kernel.faulted is None and strategy.n == len(bid) == 2_880
    assert fills_within_bars(harness.log(), bid, bid) > 100
