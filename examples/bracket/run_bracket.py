"""Runs :class:`BracketEveryN` on GBP/USD minute bid + ask bars through the whole kernel.

    python -m examples.bracket.run_bracket /work/shared/data [n_bars]

Prints the brackets opened, how each ended (take-profit or stop-loss) and the orders left
open at the end (none: no orphaned exit).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

from domain.instruments import Instrument
from domain.kinds import Kind
from domain.order_fsm import OrderStatus
from engines.exchange.bar_path import bar_quotes
from examples.bracket.strategy import BracketEveryN
from replay.config import VenueConfig
from replay.loaders.bars_csv import BarOptions, BarSpec, iter_bars_csv
from replay.testing.harness import TradingHarness

SYMBOL = "GBP/USD.SIM"


def load_bars(data: Path, n_bars: int | None = None) -> np.ndarray:
    """Returns the bid and ask bars (first ``n_bars`` of each) with their quote path, in time
    order (:func:`engines.exchange.bar_path.bar_quotes`)."""
    sides = []
    for side in ("BID", "ASK"):
        path = data / f"gbpusd-m1-{side.lower()}-2012.csv"
        opts = BarOptions(spec=BarSpec.parse(f"1-MINUTE-{side}"))
        bars = np.concatenate(list(iter_bars_csv(path, 0, opts)))
        sides.append(bars[:n_bars] if n_bars else bars)
    both = np.concatenate(sides)
    both = both[np.argsort(both["ts_init"], kind="stable")]
    return bar_quotes(both)


def run(data: Path, n_bars: int | None = None, **params: Any) -> tuple[TradingHarness, Any]:
    """Runs the example; returns the harness (kernel, log) and the strategy."""
    strategy = BracketEveryN(SYMBOL, **params)
    records = load_bars(data, n_bars)
    harness = TradingHarness(Instrument.fx_pair(SYMBOL), [strategy],
                             venue=VenueConfig(name="SIM", starting_balances=("10000000 USD",)),
                             start_ns=int(records["ts_init"][0]))
    harness.feed(records)
    harness.finish()
    return harness, strategy


def summary(harness: TradingHarness, strategy: BracketEveryN) -> dict[str, int]:
    """Counts brackets by outcome and the exits still open."""
    cache = harness.kernel.cache
    out = {"brackets": len(strategy.lists), "take_profit": 0, "stop_loss": 0, "not_entered": 0,
           "open_orders": len(cache.orders(open_only=True)),
           "fills": int((harness.log()["kind"] == Kind.ORDER_FILLED).sum())}
    for _, tp, sl in strategy.lists:
        tp_o, sl_o = cache.order(tp), cache.order(sl)
        if tp_o.status == OrderStatus.FILLED:
            out["take_profit"] += 1
        elif sl_o.status == OrderStatus.FILLED:
            out["stop_loss"] += 1
        else:
            out["not_entered"] += 1
    return out


if __name__ == "__main__":
    n = int(sys.argv[2]) if len(sys.argv) > 2 else None
    h, s = run(Path(sys.argv[1]), n)
    for key, value in summary(h, s).items():
        print(f"{key:>12}: {value}")
