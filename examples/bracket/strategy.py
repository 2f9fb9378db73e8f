"""A bracket per signal: when flat and no bracket is working, buy (or sell) with a take-profit
limit and a stop-loss stop-market ``tp_ticks`` / ``sl_ticks`` away from the touch.

``emulate_stop=True`` puts the stop-loss in the kernel's emulator (``emulation_trigger``
BID_ASK): the venue only ever sees the market entry, the take-profit limit and, once triggered,
the stop-loss as a market order (a venue without stop orders, such as the live FIX venue).

It works on bars (``on_bar``) or on quotes (``on_quote``); the kernel's order manager does the
rest: the exits are held until the entry fills, the fill of one exit cancels the other.

On quotes it implements the quiet-run protocol (``quiet_count`` / ``skip_quiet``,
docs/engines.md): the kernel then skips its call for the quotes on which it only counts.
"""

from __future__ import annotations

from typing import Any

from domain.enums import BarAggregation, OrderSide, PriceType, TriggerType
from domain.kinds import Kind
from domain.values import Price
from engines.strategy import Strategy

_QUOTE = int(Kind.QUOTE)
#: per class, whether its quotes reach BracketEveryN's own step (``_own_step``)
_OWN_STEP: dict[type, bool] = {}


class BracketEveryN(Strategy):
    """Opens a bracket every ``every`` bars (or quotes) while flat, alternating buy and sell."""

    def __init__(self, instrument: str, quantity: int = 100_000, tp_ticks: int = 20,
                 sl_ticks: int = 20, every: int = 5, on: str = "bar",
                 emulate_stop: bool = False) -> None:
        super().__init__("bracket")
        self.instrument = instrument
        self.quantity = quantity
        self.tp_ticks, self.sl_ticks = tp_ticks, sl_ticks
        self.every = every
        self.on = on
        self.emulate_stop = emulate_stop
        self.n = 0
        self.lists: list[tuple[int, ...]] = []
        self.working: tuple[int, ...] = ()

    def on_start(self) -> None:
        if self.on == "bar":
            self.subscribe_bars(self.instrument, BarAggregation.MINUTE, 1, PriceType.BID)
        else:
            self.subscribe_quotes(self.instrument)

    def on_bar(self, bar: Any) -> None:
        self._step()

    def on_quote(self, quote: Any) -> None:
        self._step()

    def _step(self) -> None:
        self.n += 1
        if self.n % self.every or self._busy():
            return
        quote = self.cache.quote(self.instrument_id(self.instrument))
        if quote is None:
            return
        inst = self.cache.instrument(quote.instrument_id)
        tick = inst.tick_size.raw
        side = OrderSide.BUY if len(self.lists) % 2 == 0 else OrderSide.SELL
        sign = 1 if side == OrderSide.BUY else -1
        ref = quote.ask if side == OrderSide.BUY else quote.bid
        px = inst.price_precision  # the quote's raw prices are at the instrument's precision
        order_list = self.order_factory.bracket(
            quote.instrument_id, side, self.quantity,
            take_profit=Price(ref + sign * self.tp_ticks * tick, px),
            stop_loss=Price(ref - sign * self.sl_ticks * tick, px),
            emulation_trigger=TriggerType.BID_ASK if self.emulate_stop else None)
        self.submit_order_list(order_list)
        self.working = order_list.client_order_ids
        self.lists.append(order_list.client_order_ids)

    # --- quiet runs (engines/quiet.py): the quotes on which ``_step`` only counts ----------------
    def quiet_count(self, kind: int, run: Any, ctx: Any) -> int:
        """While a bracket is working every quote only counts (a quiet run changes no order in
        the cache, so ``_busy`` stays as it is); else the quotes before the next multiple of
        ``every``."""
        if kind != _QUOTE or self.on != "quote" or not self._own_step():
            return 0
        if self._busy():
            return len(run)
        return min(len(run), -(self.n + 1) % self.every)

    def skip_quiet(self, kind: int, run: Any, ctx: Any) -> None:
        """Counts the run's quotes, as ``_step`` does for each."""
        self.n += len(run)

    def _own_step(self) -> bool:
        """True when quotes reach this class's own step (no subclass override of it)."""
        cls = type(self)
        own = _OWN_STEP.get(cls)
        if own is None:
            own = _OWN_STEP[cls] = cls.on_quote is BracketEveryN.on_quote and \
                cls._step is BracketEveryN._step and cls._busy is BracketEveryN._busy
        return own

    def _busy(self) -> bool:
        """True while an order of the working bracket is not closed (held children count)."""
        cache = self.cache
        return any(not o.is_closed for o in map(cache.order, self.working) if o is not None)

    def on_save(self) -> dict[str, Any]:
        return {"n": self.n, "lists": [list(x) for x in self.lists],
                "working": list(self.working)}

    def on_load(self, state: dict[str, Any]) -> None:
        self.n = state["n"]
        self.lists = [tuple(x) for x in state["lists"]]
        self.working = tuple(state["working"])
