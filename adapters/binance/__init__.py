"""Binance market data: combined depth and trade streams, local book sync, reconnect."""

from adapters.binance.book_sync import BookSync
from adapters.binance.client import BinanceMarketData
from adapters.binance.config import BinanceDataConfig, BinanceSymbol

__all__ = ["BinanceDataConfig", "BinanceMarketData", "BinanceSymbol", "BookSync"]
