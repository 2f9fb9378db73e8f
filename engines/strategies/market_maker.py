"""``market_maker``: quotes both sides around the book's mid, within inventory limits.

Contract:
- runs on L2 / L3 book data (``on_book`` after each complete update of a subscribed instrument);
  a crossed or one-sided book is not quoted;
- quotes ``trade_size`` at ``mid - half_spread_ticks`` and ``mid + half_spread_ticks`` ticks
  (rounded outwards onto the tick grid); when the mid moves by ``requote_ticks`` ticks or more
  from the mid it last quoted around, it cancels its open orders and quotes again;
- inventory limits: with a net position of ``max_inventory`` or more it quotes no bid, with
  ``-max_inventory`` or less no ask; a side it is missing (filled, or canceled) is re-quoted on
  the next book update.
"""

from __future__ import annotations

from typing import Any

from domain.enums import OrderSide
from domain.values import Price
from engines.cache_trading import netting_position_id
from engines.strategy import Strategy


class MarketMaker(Strategy):
    """Quotes ``instrument`` (default: the first instrument in the cache)."""

    #: recomputed by on_load from the saved instrument id
    derived_fields = ("_inst", "_max_inventory_raw")

    def __init__(self, instrument: str | None = None, trade_size: int | str = 1,
                 half_spread_ticks: int = 2, requote_ticks: int = 1, max_inventory: int | str = 5,
                 component_id: str = "market_maker") -> None:
        super().__init__(component_id)
        if half_spread_ticks < 1 or requote_ticks < 1:
            raise ValueError(f"market_maker: half_spread_ticks and requote_ticks must be >= 1, got "
                             f"{half_spread_ticks} and {requote_ticks}")
        self.instrument = instrument
        self.trade_size = trade_size
        self.half_spread_ticks = int(half_spread_ticks)
        self.requote_ticks = int(requote_ticks)
        self.max_inventory = max_inventory
        self.iid = 0
        self.position_id = 0
        self.quoted_mid_raw = 0
        self._inst: Any = None
        self._max_inventory_raw = 0

    def on_start(self) -> None:
        if self.instrument is None:
            if not self.cache.instruments:
                raise ValueError("market_maker: no instrument in the cache to quote")
            self.iid = min(self.cache.instruments)
        else:
            self.iid = self.instrument_id(self.instrument)
        self._inst = self.cache.instrument(self.iid)
        self._max_inventory_raw = self._inst.make_qty(self.max_inventory).raw
        self.position_id = netting_position_id(self.iid, self.strategy_id)
        self.subscribe_book(self.iid)

    def on_book(self, instrument_id: int, book: Any) -> None:
        bid, ask = book.best_bid(), book.best_ask()
        if bid is None or ask is None or bid[0] >= ask[0]:
            return
        tick = self._inst.tick_size.raw
        mid_raw = (bid[0] + ask[0]) // 2
        open_orders = self.orders_open(self.iid)
        if open_orders and abs(mid_raw - self.quoted_mid_raw) >= self.requote_ticks * tick:
            self.cancel_all_orders(self.iid)
            open_orders = []
        sides = {int(o.side) for o in open_orders}
        position = self.cache.position(self.position_id)
        signed = position.signed_raw if position is not None else 0
        pp = self._inst.price_precision
        placed = False
        if int(OrderSide.BUY) not in sides and signed < self._max_inventory_raw:
            px = (mid_raw // tick - self.half_spread_ticks) * tick
            self._quote(OrderSide.BUY, Price(px, pp))
            placed = True
        if int(OrderSide.SELL) not in sides and signed > -self._max_inventory_raw:
            px = (-(-mid_raw // tick) + self.half_spread_ticks) * tick
            self._quote(OrderSide.SELL, Price(px, pp))
            placed = True
        if placed:
            self.quoted_mid_raw = mid_raw

    def _quote(self, side: OrderSide, price: Price) -> None:
        self.submit_order(self.order_factory.limit(self.iid, side, self.trade_size, price))

    def on_save(self) -> dict[str, Any]:
        return {"iid": self.iid, "position_id": self.position_id,
                "quoted_mid_raw": self.quoted_mid_raw}

    def on_load(self, state: dict[str, Any]) -> None:
        self.iid, self.position_id = state["iid"], state["position_id"]
        self.quoted_mid_raw = state["quoted_mid_raw"]
        self._inst = self.cache.instrument(self.iid) if self.iid else None
        if self._inst is not None:
            self._max_inventory_raw = self._inst.make_qty(self.max_inventory).raw
