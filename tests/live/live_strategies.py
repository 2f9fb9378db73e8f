"""A scripted strategy for the live node's tests: what it does on the n-th quote is a param,
so a journal re-executes it (module:Class, built with --trust-journal-code)."""

from __future__ import annotations

from typing import Any

import attrs

from domain.enums import OrderSide, TimeInForce, TriggerType
from engines.strategy import Strategy


class ScriptedOrders(Strategy):
    """On the ``at``-th quote of ``instrument`` runs each step of ``steps``:
    ``{"at": 1, "do": "limit", "side": "BUY", "qty": "100", "price": "10.00", "name": "a"}``;
    ``do`` is limit, market, modify (``ref``, ``qty`` / ``price``), cancel (``ref``) or
    bracket (``qty``, ``entry``, ``exit_a``, ``exit_b``, ``stop_loss`` below the entry: names
    the orders entry / exit_a / exit_b) or emulated_bracket (``qty``, ``entry``, ``take_profit``,
    ``stop_loss``: the stop-loss held by the kernel's emulator on bid/ask; names the orders
    entry / take_profit / stop_loss). Orders are DAY unless ``tif`` says otherwise."""

    def __init__(self, instrument: str = "MSFT.ORDERMATCH",
                 steps: list[dict[str, Any]] | None = None,
                 component_id: str = "scripted") -> None:
        super().__init__(component_id)
        self.instrument = instrument
        self.steps = list(steps or [])
        self.quotes = 0
        self.names: dict[str, int] = {}
        self.stopped = False

    def on_start(self) -> None:
        self.subscribe_quotes(self.instrument)

    def on_quote(self, quote: Any) -> None:
        self.quotes += 1
        for step in self.steps:
            if step["at"] == self.quotes:
                self._do(step)

    def _do(self, step: dict[str, Any]) -> None:
        f, kind = self.order_factory, step["do"]
        side = OrderSide[step.get("side", "BUY")]
        tif = TimeInForce[step.get("tif", "DAY")]
        if kind == "limit":
            order = f.limit(self.instrument, side, step["qty"], step["price"], time_in_force=tif)
        elif kind == "market":
            order = f.market(self.instrument, side, step["qty"], time_in_force=tif)
        elif kind == "bracket":
            # entry OTO [exit_a OCO exit_b], both exits limits; the OTO / OCO logic is the
            # kernel's order manager (the venue has no contingencies)
            orders = f.bracket(self.instrument, side, step["qty"], entry_price=step["entry"],
                               take_profit=step["exit_a"], stop_loss=step["stop_loss"],
                               time_in_force=tif)
            specs = list(orders.orders.orders)
            price = self.cache.instrument(orders.instrument_id).make_price(step["exit_b"])
            specs[2] = attrs.evolve(specs[1], price=price)
            orders = attrs.evolve(orders, orders=attrs.evolve(orders.orders, orders=tuple(specs)))
            self.names.update(zip(("entry", "exit_a", "exit_b"), orders.client_order_ids,
                                  strict=True))
            self.submit_order_list(orders)
            return
        elif kind == "emulated_bracket":
            orders = f.bracket(self.instrument, side, step["qty"], entry_price=step["entry"],
                               take_profit=step["take_profit"], stop_loss=step["stop_loss"],
                               time_in_force=tif, emulation_trigger=TriggerType.BID_ASK)
            self.names.update(zip(("entry", "take_profit", "stop_loss"),
                                  orders.client_order_ids, strict=True))
            self.submit_order_list(orders)
            return
        elif kind == "modify":
            self.modify_order(self.names[step["ref"]], quantity=step.get("qty"),
                              price=step.get("price"))
            return
        else:
            self.cancel_order(self.names[step["ref"]])
            return
        self.names[step.get("name", kind)] = self.submit_order(order)

    def on_stop(self) -> None:
        self.stopped = True

    def on_save(self) -> dict[str, Any]:
        return {"quotes": self.quotes, "names": self.names}

    def on_load(self, state: dict[str, Any]) -> None:
        self.quotes, self.names = state["quotes"], dict(state["names"])
