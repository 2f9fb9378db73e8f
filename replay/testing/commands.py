"""Order command sequences for a strategy, and the strategy that plays one back.

A command list is drawn as small tuples and played one command per quote (or per book update)
by :class:`ScriptedStrategy`, so submits, modifies and cancels interleave with the data stream:

- ``("market", side, lots)`` — a market order;
- ``("limit", side, offset_ticks, lots)`` — a limit order ``offset_ticks`` behind its touch (bid
  for a buy, ask for a sell); a negative offset crosses the spread (marketable);
- ``("modify", pick, offset_ticks, lots)`` — the open limit order number ``pick`` (modulo the
  number open, in log order) gets a new price and quantity;
- ``("cancel", pick)`` — cancels the open order number ``pick``;
- ``("reduce", lots)`` — a reduce-only market order against the open position (skipped when flat);
- ``("wait",)`` — nothing on this quote.
A command that does not apply (nothing open to modify) is skipped: commands never raise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from hypothesis import strategies as st

from domain.enums import OrderSide
from engines.cache_trading import netting_position_id
from engines.market_data import QuoteTick
from engines.strategy import Strategy

Command = tuple[Any, ...]
_SIDES = st.sampled_from((OrderSide.BUY, OrderSide.SELL))


def order_command_lists(min_size: int = 1, max_size: int = 20, max_lots: int = 5,
                        reduce_only: bool = True) -> Any:
    """Draws a list of order commands (see the module docstring); shrinks towards ``wait``."""
    lots = st.integers(1, max_lots)
    pick = st.integers(0, 5)
    options = [
        st.just(("wait",)),
        st.tuples(st.just("market"), _SIDES, lots),
        st.tuples(st.just("limit"), _SIDES, st.integers(-2, 4), lots),
        st.tuples(st.just("modify"), pick, st.integers(-2, 4), lots),
        st.tuples(st.just("cancel"), pick),
    ]
    if reduce_only:
        options.append(st.tuples(st.just("reduce"), lots))
    return st.lists(st.one_of(*options), min_size=min_size, max_size=max_size)


class Touch(NamedTuple):
    """The prices a command is played against: the quote's, or the book's best levels."""

    bid_raw: int
    ask_raw: int


class ScriptedStrategy(Strategy):
    """Plays ``commands`` on the first instrument (or ``instrument``), one per quote, or with
    ``on="book"`` one per book update (after each LAST delta, when both sides are quoted)."""

    def __init__(self, commands: Sequence[Command], instrument: str | None = None,
                 component_id: str = "scripted", on: str = "quote") -> None:
        super().__init__(component_id)
        if on not in ("quote", "book"):
            raise ValueError(f"on must be 'quote' or 'book', got {on!r}")
        self.commands = list(commands)
        self.instrument = instrument
        self.on = on
        self.played = 0
        self.iid = 0

    def on_start(self) -> None:
        self.iid = (min(self.cache.instruments) if self.instrument is None
                    else self.instrument_id(self.instrument))
        if self.on == "book":
            self.subscribe_book(self.iid)
        else:
            self.subscribe_quotes(self.iid)

    def on_quote(self, quote: QuoteTick) -> None:
        self._next(Touch(quote.bid_raw, quote.ask_raw))

    def on_book(self, instrument_id: int, book: Any) -> None:
        bid, ask = book.best_bid(), book.best_ask()
        if bid is not None and ask is not None:
            self._next(Touch(bid[0], ask[0]))

    def _next(self, touch: Touch) -> None:
        if self.played >= len(self.commands):
            return
        command = self.commands[self.played]
        self.played += 1
        self.play(command, touch)

    def play(self, command: Command, quote: Touch) -> None:
        """Executes one command against the latest touch (see the module docstring)."""
        op = command[0]
        inst = self.cache.instrument(self.iid)
        lot, tick = inst.lot_size.raw, inst.tick_size.raw
        factory = self.order_factory
        if op == "market":
            self.submit_order(factory.market(self.iid, command[1], _qty(inst, command[2] * lot)))
        elif op == "limit":
            price = self._limit_price(command[1], command[2], quote, tick)
            self.submit_order(factory.limit(self.iid, command[1], _qty(inst, command[3] * lot),
                                            _px(inst, price)))
        elif op == "modify":
            open_limits = [o for o in self.orders_open(self.iid) if o.price_raw is not None
                           and not o.is_inflight]
            if open_limits:
                order = open_limits[command[1] % len(open_limits)]
                price = self._limit_price(order.side, command[2], quote, tick)
                qty = max(command[3] * lot, order.filled_raw + lot)
                self.modify_order(order.client_order_id, quantity=_qty(inst, qty),
                                  price=_px(inst, price))
        elif op == "cancel":
            open_orders = [o for o in self.orders_open(self.iid) if not o.is_inflight]
            if open_orders:
                self.cancel_order(open_orders[command[1] % len(open_orders)].client_order_id)
        elif op == "reduce":
            pos = self.cache.position(netting_position_id(self.iid, self.strategy_id))
            if pos is not None and pos.signed_raw:
                side = OrderSide.SELL if pos.signed_raw > 0 else OrderSide.BUY
                qty = min(abs(pos.signed_raw), command[1] * lot)
                self.submit_order(factory.market(self.iid, side, _qty(inst, qty),
                                                 reduce_only=True))

    @staticmethod
    def _limit_price(side: int, offset: int, quote: Touch, tick: int) -> int:
        if side == OrderSide.BUY:
            return max(tick, quote.bid_raw - offset * tick)
        return max(tick, quote.ask_raw + offset * tick)

    def on_save(self) -> dict[str, Any]:
        return {"played": self.played, "iid": self.iid}

    def on_load(self, state: dict[str, Any]) -> None:
        self.played, self.iid = state["played"], state["iid"]


def _qty(inst: Any, raw: int) -> Any:
    from domain.values import Quantity

    return Quantity(raw, inst.size_precision)


def _px(inst: Any, raw: int) -> Any:
    from domain.values import Price

    return Price(raw, inst.price_precision)
