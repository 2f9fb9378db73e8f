#!/usr/bin/env python3
"""NautilusTrader side of the bracket parity check (run with the peer venv's python).

    $PEER_VENV/bin/python perf/peer_nautilus_bracket.py --csv quotes.csv [--every 25]

Same logic as ``examples.bracket.strategy.BracketEveryN`` on quotes: on every ``every``-th
quote, when no order of the last bracket is open, a bracket (market entry of ``quantity``,
take-profit limit and stop-loss stop-market ``tp_ticks`` / ``sl_ticks`` from the touch, the
exits linked OCO), alternating BUY and SELL. Venue as in ``../shared/peers/nautilus``: SIM,
NETTING, MARGIN, 1 000 000 USD, AUD/USD.SIM. Prints one JSON line: every fill in order as
``[side, price, quantity, ts_event, order type]``, the number of brackets and ``run_s``, the wall time of
``engine.run()`` (``perf/backtest_brackets.py --peer`` compares it with ringbus's).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd
from nautilus_trader.backtest.config import BacktestEngineConfig
from nautilus_trader.backtest.engine import BacktestEngine
from nautilus_trader.config import LoggingConfig, StrategyConfig
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import AccountType, ContingencyType, OmsType, OrderSide
from nautilus_trader.model.identifiers import InstrumentId, TraderId, Venue
from nautilus_trader.model.objects import Money, Price, Quantity
from nautilus_trader.test_kit.providers import TestInstrumentProvider
from nautilus_trader.trading.strategy import Strategy


class BracketConfig(StrategyConfig, frozen=True):
    instrument_id: InstrumentId
    quantity: int = 100_000
    tp_ticks: int = 20
    sl_ticks: int = 20
    every: int = 25


class BracketEveryN(Strategy):
    def __init__(self, config: BracketConfig) -> None:
        super().__init__(config)
        self.n = 0
        self.n_brackets = 0
        self.working: list = []
        self.fills: list = []

    def on_start(self) -> None:
        self.subscribe_quote_ticks(self.config.instrument_id)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self.n += 1
        if self.n % self.config.every or any(not o.is_closed for o in self.working):
            return
        buy = self.n_brackets % 2 == 0
        sign = 1 if buy else -1
        ref = (tick.ask_price if buy else tick.bid_price).as_double()
        tick_size = 0.00001
        bracket = self.order_factory.bracket(
            instrument_id=self.config.instrument_id,
            order_side=OrderSide.BUY if buy else OrderSide.SELL,
            quantity=Quantity.from_int(self.config.quantity),
            tp_price=Price(ref + sign * self.config.tp_ticks * tick_size, 5),
            sl_trigger_price=Price(ref - sign * self.config.sl_ticks * tick_size, 5),
            contingency_type=ContingencyType.OCO,
            tp_post_only=False,
        )
        self.submit_order_list(bracket)
        self.working = list(bracket.orders)
        self.n_brackets += 1

    def on_order_filled(self, event) -> None:
        order = self.cache.order(event.client_order_id)
        self.fills.append([event.order_side.name, str(event.last_px), int(event.last_qty),
                           int(event.ts_event), order.order_type.name])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--csv", required=True)
    p.add_argument("--every", type=int, default=25)
    p.add_argument("--ticks", type=int, default=20)
    a = p.parse_args()
    engine = BacktestEngine(config=BacktestEngineConfig(
        trader_id=TraderId("PARITY-001"),
        logging=LoggingConfig(log_level="ERROR", bypass_logging=True), run_analysis=False))
    sim = Venue("SIM")
    engine.add_venue(venue=sim, oms_type=OmsType.NETTING, account_type=AccountType.MARGIN,
                     base_currency=USD, starting_balances=[Money(1_000_000, USD)])
    instrument = TestInstrumentProvider.default_fx_ccy("AUD/USD", sim)
    engine.add_instrument(instrument)
    df = pd.read_csv(a.csv)
    ts = df["ts_ns"].to_numpy(dtype=np.uint64)
    engine.add_data(QuoteTick.from_raw_arrays_to_list(
        instrument.id, 5, 0, np.ascontiguousarray(df["bid"].to_numpy()),
        np.ascontiguousarray(df["ask"].to_numpy()),
        np.ascontiguousarray(df["bid_size"].to_numpy(dtype=np.float64)),
        np.ascontiguousarray(df["ask_size"].to_numpy(dtype=np.float64)), ts, ts.copy()))
    strategy = BracketEveryN(BracketConfig(instrument_id=instrument.id, every=a.every,
                                           tp_ticks=a.ticks, sl_ticks=a.ticks))
    engine.add_strategy(strategy)
    t0 = time.perf_counter()
    engine.run()
    run_s = time.perf_counter() - t0
    print(json.dumps({"brackets": strategy.n_brackets, "fills": strategy.fills, "run_s": run_s}))


if __name__ == "__main__":
    main()
