"""Configuration of the Binance market-data adapter (base URLs, symbols, backoff)."""

from __future__ import annotations

from typing import Any

import attrs

TRADE_STREAMS = ("trade", "aggTrade")


@attrs.frozen
class BinanceSymbol:
    """One subscribed symbol and the instrument its records carry.

    Prices and quantities on the wire are decimal strings; they must be exact at
    ``price_precision`` / ``size_precision`` decimals (Binance's tick and step sizes).
    """

    symbol: str
    instrument_id: int
    price_precision: int
    size_precision: int

    @property
    def stream_name(self) -> str:
        return self.symbol.lower()


@attrs.frozen
class BinanceDataConfig:
    """Where and what to subscribe. The defaults are Binance spot's public endpoints."""

    symbols: tuple[BinanceSymbol, ...]
    ws_base_url: str = "wss://stream.binance.com:9443"
    rest_base_url: str = "https://api.binance.com"
    depth_path: str = "/api/v3/depth"
    depth_speed: str = "100ms"
    trade_stream: str = "trade"
    snapshot_limit: int = 1000
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    max_reconnects: int | None = None  # None: reconnect forever
    http_timeout_s: float = 10.0

    def __attrs_post_init__(self) -> None:
        if not self.symbols:
            raise ValueError("binance config: symbols is empty")
        if self.trade_stream not in TRADE_STREAMS:
            raise ValueError(f"binance config: trade_stream={self.trade_stream!r}, "
                             f"expected one of {TRADE_STREAMS}")
        if not 0 < self.backoff_initial_s <= self.backoff_max_s:
            raise ValueError(f"binance config: backoff_initial_s={self.backoff_initial_s} must "
                             f"be > 0 and <= backoff_max_s={self.backoff_max_s}")

    def stream_url(self) -> str:
        """The combined-stream URL covering depth and trades of every symbol."""
        names = []
        for s in self.symbols:
            names += [f"{s.stream_name}@depth@{self.depth_speed}",
                      f"{s.stream_name}@{self.trade_stream}"]
        return f"{self.ws_base_url}/stream?streams={'/'.join(names)}"

    def depth_url(self, symbol: str) -> str:
        """The REST depth-snapshot URL of ``symbol``."""
        return (f"{self.rest_base_url}{self.depth_path}?symbol={symbol}"
                f"&limit={self.snapshot_limit}")

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> BinanceDataConfig:
        """Builds a config from a TOML-style table; ``symbols`` is a list of tables."""
        fields = dict(raw)
        symbols = tuple(BinanceSymbol(**s) for s in fields.pop("symbols", ()))
        unknown = set(fields) - {a.name for a in attrs.fields(cls)}
        if unknown:
            raise ValueError(f"binance config: unknown keys {sorted(unknown)}")
        return cls(symbols=symbols, **fields)
