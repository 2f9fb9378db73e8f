"""engines.strategies — example strategies, written on the public Strategy API as a user would.

Design contract:
- each strategy lives in its own module and uses only :class:`engines.strategy.Strategy`'s
  public API (subscriptions, handlers, order factory, cache and portfolio reads);
- parameters are keyword arguments with defaults, so ``--param key=value`` maps onto them;
- no strategy reads the wall clock or an unseeded random generator: given the same records it
  emits the same commands.
"""

from engines.strategies.ema_cross import EmaCross
from engines.strategies.market_maker import MarketMaker
from engines.strategies.noop import Noop

__all__ = ["EmaCross", "MarketMaker", "Noop"]
