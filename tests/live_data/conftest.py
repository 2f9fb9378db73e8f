"""Fixtures of the live-data tests: the Binance symbol of the shared depth files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.binance import BinanceSymbol

INSTRUMENT_ID = 7


@pytest.fixture
def btcusdt() -> BinanceSymbol:
    """BTCUSDT at the precisions the backtest loader infers from the shared files."""
    return BinanceSymbol("BTCUSDT", INSTRUMENT_ID, price_precision=1, size_precision=3)


ROOT = Path(__file__).resolve().parents[2]


def ringbus_process(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Runs ``ringbus ARGS`` as a real process of this worktree's code."""
    return subprocess.run([sys.executable, "-m", "replay.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
