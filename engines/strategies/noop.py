"""``noop``: subscribes to all data of every instrument and does nothing.

It overrides no handler on purpose: a handler that is not overridden is never called and does
not make the replay loop publish inputs one at a time, so a noop backtest runs on the batch
path (the floor of what a backtest costs).
"""

from __future__ import annotations

from engines.strategy import Strategy


class Noop(Strategy):
    """Subscribes to quotes, trades and books of every instrument in the cache."""

    def __init__(self, component_id: str = "noop") -> None:
        super().__init__(component_id)

    def on_start(self) -> None:
        for instrument_id in sorted(self.cache.instruments):
            self.subscribe_quotes(instrument_id)
            self.subscribe_trades(instrument_id)
            self.subscribe_book(instrument_id)
