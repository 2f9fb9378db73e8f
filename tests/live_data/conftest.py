"""Fixtures of the live-data tests: the Binance symbol of the shared depth files."""

from __future__ import annotations

import pytest

from adapters.binance import BinanceSymbol

INSTRUMENT_ID = 7


@pytest.fixture
def btcusdt() -> BinanceSymbol:
    """BTCUSDT at the precisions the backtest loader infers from the shared files."""
    return BinanceSymbol("BTCUSDT", INSTRUMENT_ID, price_precision=1, size_precision=3)
