"""Runs :class:`BracketEveryN` on GBP/USD minute bid + ask bars through the whole kernel.

    python -m examples.bracket.run_bracket /work/shared/data [n_bars]
    python -m examples.bracket.run_bracket --synthetic DAYS [SEED]   # seeded synthetic bars

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


def read_sides(data: Path, n_bars: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Returns the bid and the ask bars of the shared GBP/USD files (first ``n_bars`` of each)."""
    sides = []
    for side in ("BID", "ASK"):
        path = data / f"gbpusd-m1-{side.lower()}-2012.csv"
        opts = BarOptions(spec=BarSpec.parse(f"1-MINUTE-{side}"))
        bars = np.concatenate(list(iter_bars_csv(path, 0, opts)))
        sides.append(bars[:n_bars] if n_bars else bars)
    return sides[0], sides[1]


def bar_path(bid: np.ndarray, ask: np.ndarray) -> np.ndarray:
    """Returns the bid and ask bars with their quote path, in time order
    (:func:`engines.exchange.bar_path.bar_quotes`)."""
    both = np.concatenate((bid, ask))
    both = both[np.argsort(both["ts_init"], kind="stable")]
    return bar_quotes(both)


def load_bars(data: Path, n_bars: int | None = None) -> np.ndarray:
    """Returns the shared files' bid and ask bars (first ``n_bars`` of each) with their quote
    path, in time order."""
    return bar_path(*read_sides(data, n_bars))


def run(data: Path, n_bars: int | None = None, **params: Any) -> tuple[TradingHarness, Any]:
    """Runs the example on the shared files; returns the harness (kernel, log) and the
    strategy."""
    return run_bars(*read_sides(data, n_bars), **params)


def run_bars(bid: np.ndarray, ask: np.ndarray, **params: Any) -> tuple[TradingHarness, Any]:
    """Runs the example on ``bid`` and ``ask`` BAR records (e.g.
    :func:`replay.testing.synthetic_bars.fx_minute_bars`)."""
    strategy = BracketEveryN(SYMBOL, **params)
    records = bar_path(bid, ask)
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
    if sys.argv[1] == "--synthetic":
        from replay.testing.synthetic_bars import fx_minute_bars

        seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
        h, s = run_bars(*fx_minute_bars(days=int(sys.argv[2]), seed=seed))
    else:
        n = int(sys.argv[2]) if len(sys.argv) > 2 else None
        h, s = run(Path(sys.argv[1]), n)
    for key, value in summary(h, s).items():
        print(f"{key:>12}: {value}")
