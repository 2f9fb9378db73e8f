"""The strategy of the incident: a mean reverter whose short-side limit check is wrong.

It buys ``trade_size`` when the mid is ``threshold`` below its EMA and sells when it is as far
above, every ``cooldown`` quotes at most, keeping its netting position within
``+-max_position``... except that the sell-side check compares the position after the sale with
``+max_position`` instead of ``-max_position``: shorts grow without bound (the bug).
"""

from __future__ import annotations

from typing import Any

from domain.enums import OrderSide
from engines.cache_trading import netting_position_id
from engines.market_data import QuoteTick
from engines.strategy import Strategy


class MeanReverter(Strategy):
    """Trades the first instrument of the cache against its mid's EMA."""

    def __init__(self, period: int = 50, threshold: float = 0.00005, trade_size: int = 100_000,
                 max_position: int = 200_000, cooldown: int = 20,
                 component_id: str = "mean_reverter") -> None:
        super().__init__(component_id)
        self.alpha = 2.0 / (int(period) + 1)
        self.threshold = float(threshold)
        self.trade_size = int(trade_size)
        self.max_position = int(max_position)
        self.cooldown = int(cooldown)
        self.ema = 0.0
        self.count = 0
        self.last_trade = -self.cooldown
        self.iid = 0
        self.position_id = 0
        self.size_scale = 1

    def on_start(self) -> None:
        self.iid = min(self.cache.instruments)
        self.size_scale = 10 ** self.cache.instrument(self.iid).size_precision
        self.position_id = netting_position_id(self.iid, self.strategy_id)
        self.subscribe_quotes(self.iid)

    def position_qty(self) -> int:
        """The strategy's signed position, in whole units."""
        position = self.cache.position(self.position_id)
        return 0 if position is None else position.signed_raw // self.size_scale

    def can_sell(self, qty: int) -> bool:
        return qty - self.trade_size <= self.max_position  # BUG: must be >= -self.max_position

    def can_buy(self, qty: int) -> bool:
        return qty + self.trade_size <= self.max_position

    def on_quote(self, quote: QuoteTick) -> None:
        den = 10 ** quote.price_precision
        mid = (quote.bid_raw / den + quote.ask_raw / den) / 2
        self.ema = mid if self.count == 0 else self.alpha * mid + (1 - self.alpha) * self.ema
        self.count += 1
        if self.count < 50 or self.count - self.last_trade < self.cooldown:
            return
        qty = self.position_qty()
        if mid < self.ema - self.threshold and self.can_buy(qty):
            side = OrderSide.BUY
        elif mid > self.ema + self.threshold and self.can_sell(qty):
            side = OrderSide.SELL
        else:
            return
        self.last_trade = self.count
        self.submit_order(self.order_factory.market(self.iid, side, self.trade_size))

    def on_save(self) -> dict[str, Any]:
        return {"ema": self.ema, "count": self.count, "last_trade": self.last_trade,
                "iid": self.iid, "position_id": self.position_id, "size_scale": self.size_scale}

    def on_load(self, state: dict[str, Any]) -> None:
        self.ema, self.count, self.last_trade = state["ema"], state["count"], state["last_trade"]
        self.iid, self.position_id = state["iid"], state["position_id"]
        self.size_scale = state["size_scale"]
