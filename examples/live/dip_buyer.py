"""The walkthrough's strategy: bid ``size`` at ``offset`` below the first quote's bid, then,
once filled, offer the position at ``take`` above the fill price (DAY orders: ordermatch takes
no other time in force). It keeps its two order ids so a restarted node resumes it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.enums import OrderSide, TimeInForce
from engines.strategy import Strategy


class DipBuyer(Strategy):
    def __init__(self, instrument: str = "MSFT.ORDERMATCH", size: int = 10,
                 offset: str = "0.05", take: str = "0.10") -> None:
        super().__init__("dip_buyer")
        self.instrument, self.size = instrument, size
        self.offset, self.take = offset, take
        self.entry = self.exit = 0

    def on_start(self) -> None:
        self.subscribe_quotes(self.instrument)

    def on_quote(self, quote: Any) -> None:
        if not self.entry:
            prec = quote.bid.precision
            bid = quote.bid.raw - _raw(self.offset, prec)
            self.entry = self.submit_order(self.order_factory.limit(
                self.instrument, OrderSide.BUY, self.size, _text(bid, prec),
                time_in_force=TimeInForce.DAY))

    def on_order_filled(self, rec: Any) -> None:
        order = self.cache.order(self.entry)
        if rec.client_order_id == self.entry and not self.exit and order.status.name == "FILLED":
            ask = rec.last_px + _raw(self.take, rec.price_precision)
            self.exit = self.submit_order(self.order_factory.limit(
                self.instrument, OrderSide.SELL, self.size, _text(ask, rec.price_precision),
                time_in_force=TimeInForce.DAY))

    def on_save(self) -> dict[str, Any]:
        return {"entry": self.entry, "exit": self.exit}

    def on_load(self, state: dict[str, Any]) -> None:
        self.entry, self.exit = state["entry"], state["exit"]


def _raw(text: str, precision: int) -> int:
    return int(Decimal(text).scaleb(precision))


def _text(raw: int, precision: int) -> str:
    return f"{Decimal(raw).scaleb(-precision):.{precision}f}"
