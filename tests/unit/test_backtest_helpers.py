"""Helpers (no tests) for the backtest tests: synthetic quote streams run through a real node."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from domain.enums import RecordFlag
from domain.instruments import Instrument
from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
from replay.backtest import BacktestNode, BacktestRun
from replay.backtest_data import DataSource
from replay.config import BacktestConfig, StrategyConfig

T0 = 1_700_000_000_000_000_000


def quotes(mids_raw: list[int] | np.ndarray, spread_raw: int = 2, step_ns: int = 1_000_000_000,
           price_precision: int = 5) -> np.ndarray:
    """Returns QUOTE records with bid = mid, ask = mid + spread, one every ``step_ns``."""
    mids = np.asarray(mids_raw, dtype=np.int64)
    q = np.zeros(len(mids), dtype=KIND_DTYPES[Kind.QUOTE])
    q["ts_event"] = q["ts_init"] = T0 + step_ns * np.arange(1, len(mids) + 1)
    q["kind"], q["flags"], q["price_precision"] = Kind.QUOTE, RecordFlag.INPUT, price_precision
    q["bid"], q["ask"] = mids, mids + spread_raw
    q["bid_size"] = q["ask_size"] = 1_000_000
    return q.view(RECORD_DTYPE)


def random_walk(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 110_000 + np.cumsum(rng.integers(-3, 4, n))


def run_quotes(tmp_path: Path, records: np.ndarray, strategy: str = "ema_cross",
               params: dict[str, Any] | None = None, **config: Any) -> BacktestRun:
    """Runs ``strategy`` over ``records`` (EUR/USD.SIM, precision 5) with a journal in tmp_path."""
    source = DataSource.from_records(Instrument.fx_pair("EUR/USD.SIM"), [records])
    cfg = BacktestConfig(strategies=[StrategyConfig(strategy, params or {})],
                         journal=str(tmp_path / "journal"), **config)
    return BacktestNode(cfg, data=[source]).run()
