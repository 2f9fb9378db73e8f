"""The results recorder folds the summary's sums as it goes: with ``keep_records`` off (a node
that must not grow with its fills) the summary is the same and the tables are refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from domain.enums import RecordFlag
from domain.instruments import Instrument
from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
from engines.cache import Cache
from replay.backtest import BacktestNode
from replay.backtest_data import DataSource
from replay.config import BacktestConfig, StrategyConfig
from replay.results import RunRecorder


def _quotes(n: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    q = np.zeros(n, dtype=KIND_DTYPES[Kind.QUOTE])
    q["ts_event"] = q["ts_init"] = 1_700_000_000_000_000_000 + np.cumsum(
        rng.integers(50_000_000, 500_000_000, n))
    q["kind"] = Kind.QUOTE
    q["flags"] = RecordFlag.INPUT
    q["price_precision"] = 5
    mid = 110_000 + np.cumsum(rng.integers(-1, 2, n))
    q["bid"], q["ask"] = mid, mid + 2
    q["bid_size"] = q["ask_size"] = 1_000_000
    return q.view(RECORD_DTYPE)


def _run(tmp_path: Path, name: str) -> object:
    inst = Instrument.fx_pair("EUR/USD.SIM", price_precision=5)
    source = DataSource.from_records(inst, [_quotes(6000)], name="walk")
    config = BacktestConfig(strategies=[StrategyConfig("ema_cross")],
                            journal=str(tmp_path / name))
    return BacktestNode(config, data=[source]).run()


def test_a_recorder_that_keeps_no_records_gives_the_same_summary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = _run(tmp_path, "kept")
    monkeypatch.setattr(RunRecorder, "default_keep_records", False)
    monkeypatch.setattr(Cache, "default_order_history", 3)
    lean = _run(tmp_path, "lean")
    assert kept.result.summary["n_fills"] > 100 and kept.result.summary["n_positions"] > 50
    assert lean.result.summary == kept.result.summary
    assert lean.state_hash == kept.state_hash
    assert len(kept.result.fills) == kept.result.summary["n_fills"]
    with pytest.raises(ValueError, match="keep_records is False"):
        lean.result.fills  # noqa: B018 - reading the table is the act under test
