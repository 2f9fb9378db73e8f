"""The equity PNG: opt-in, drawn from a decimated curve that keeps every peak and trough."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from replay.report import PLOT_POINTS, decimate, write_report
from tests.unit.test_backtest_helpers import quotes, random_walk, run_quotes


def test_decimation_keeps_extremes_in_time_order() -> None:
    rng = np.random.default_rng(7)
    values = np.cumsum(rng.normal(size=100_003))
    ts = np.arange(values.size, dtype=np.int64) * 1_000 + 5
    dts, dvals = decimate(ts, values)
    assert len(dvals) <= PLOT_POINTS
    assert np.all(np.diff(dts) > 0)
    assert dvals.max() == values.max() and dvals.min() == values.min()
    assert np.array_equal(values[(dts - 5) // 1_000], dvals)


def test_a_short_curve_is_drawn_whole() -> None:
    ts, values = np.arange(10), np.linspace(0, 1, 10)
    dts, dvals = decimate(ts, values)
    assert dts is ts and dvals is values


def test_the_png_is_written_only_when_asked(tmp_path: Path) -> None:
    run = run_quotes(tmp_path, quotes(random_walk(400, seed=4)))
    out, png = write_report(run, tmp_path / "plain")
    assert not png and not (out / "equity.png").exists()
    pytest.importorskip("matplotlib")
    out, png = write_report(run, tmp_path / "plotted", plot=True)
    assert png and (out / "equity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
