"""The strategy of the README's "Writing a strategy" section (a test keeps the two identical).

Run it: ``ringbus backtest --strategy examples.momentum:Momentum --data quotes.csv``.
"""

from domain.enums import OrderSide
from engines.indicators import ExponentialMovingAverage
from engines.strategy import Strategy


class Momentum(Strategy):
    def __init__(self, instrument: str = "EUR/USD.SIM", trade_size: int = 100_000) -> None:
        super().__init__("momentum")
        self.symbol, self.trade_size = instrument, trade_size
        self.ema = ExponentialMovingAverage(50)

    def on_start(self) -> None:
        self.iid = self.instrument_id(self.symbol)
        self.subscribe_quotes(self.iid)

    def on_quote(self, quote) -> None:
        mid = (float(quote.bid) + float(quote.ask)) / 2
        self.ema.update(mid)
        flat = self.portfolio.net_position_raw(self.iid) == 0
        if self.ema.initialized and mid > self.ema.value and flat:
            order = self.order_factory.market(self.iid, OrderSide.BUY, self.trade_size)
            self.submit_order(order)
