"""engines.exchange — the simulated exchange: a venue's matching engine inside the kernel.

Design contract:
- :class:`SimulatedExchange` is a Reactor of the ``engines`` stage and the execution client of
  its venue (``submit`` / ``modify`` / ``cancel`` / ``cancel_all`` with a command's raw record);
  it decides and emits ORDER_* events, the reducers apply them; it reads the cache, never
  writes it;
- matching follows the configured data granularity (L1 quotes, L2 or L3 books); liquidity the
  simulation took is not filled twice; on L3 a resting order fills only with volume traded
  beyond the volume queued ahead of it;
- fees (:class:`FeeModel`), latency (:class:`LatencyModel`) and the seeded :class:`FillModel`
  are pluggable and deterministic: the same records in give the same records out.
"""

from engines.exchange.config import ExchangeConfig
from engines.exchange.exchange import ExchangeError, SimulatedExchange
from engines.exchange.fees import FeeModel, FeeRounding, InstrumentRates
from engines.exchange.fill_model import FillModel
from engines.exchange.latency import ConstantLatency, LatencyModel, Operation
from engines.exchange.market import ConsumedLiquidity, VenueState
from engines.exchange.queue import QueuePosition

__all__ = [
    "ConstantLatency",
    "ConsumedLiquidity",
    "ExchangeConfig",
    "ExchangeError",
    "FeeModel",
    "FeeRounding",
    "FillModel",
    "InstrumentRates",
    "LatencyModel",
    "Operation",
    "QueuePosition",
    "SimulatedExchange",
    "VenueState",
]
