"""A full trading kernel for tests: cache, data / risk / execution engines, the simulated
exchange of venue SIM (a cash account in USD), EUR/USD.SIM, and the strategies given.

Nothing here is a test double: it is the kernel a backtest builds, fed through the replay loop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from domain.codec import decode_raw, encode
from domain.currencies import Currency
from domain.enums import AccountType, RecordFlag
from domain.instruments import Instrument
from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
from engines.cache import Cache
from engines.data_engine import DataEngine
from engines.exchange import ExchangeConfig, SimulatedExchange
from engines.execution import ExecutionEngine
from engines.kernel import Kernel
from engines.order_manager import OrderManager
from engines.risk import RiskEngine
from replay.loop import run

SYMBOL = "EUR/USD.SIM"
INPUT = int(RecordFlag.INPUT)
T0 = 1_500_000_000_000_000_000


def register_all(kernel: Kernel, strategies: list[Any],
                 exchange: ExchangeConfig | None = None) -> None:
    """Registers the platform components, then ``strategies``, in the rig's fixed order
    (``exchange``: the SIM venue's config; default: no latency)."""
    kernel.register(Cache())
    kernel.register(DataEngine())
    execution = kernel.register(ExecutionEngine())
    kernel.register(RiskEngine(execution))
    kernel.register(OrderManager())
    kernel.register(SimulatedExchange(exchange or ExchangeConfig(venue="SIM")))
    for strategy in strategies:
        kernel.register(strategy)


class Tape:
    """A journal stand-in that keeps a copy of every record (a ring consumer, first in line);
    every record it took counts as committed."""

    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []
        self.committed_seq = 0

    def on_batch(self, batch: np.ndarray) -> None:
        self.chunks.append(batch.copy())
        self.committed_seq = int(batch["seq"][-1])

    def flush(self) -> int:
        """Nothing to commit."""
        return self.committed_seq

    commit = flush

    def records(self) -> np.ndarray:
        """Returns every record seen, in seq order."""
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype=RECORD_DTYPE)


def build(strategies: list[Any], mode: str = "execute", journal: Any = None,
          capacity: int = 1 << 14, usd: int = 10_000_000, journal_lag: int = 0,
          exchange: ExchangeConfig | None = None) -> Kernel:
    """Returns a started kernel with the instrument and the account published (as inputs)."""
    kernel = Kernel(capacity=capacity, mode=mode, journal=journal, journal_lag=journal_lag)
    register_all(kernel, strategies, exchange)
    exchange = kernel.component("exchange-SIM")
    kernel.publish_setup()
    iid = kernel.intern(SYMBOL)
    inst = Instrument.fx_pair(SYMBOL, size_precision=0)
    kernel.publish_one(encode(Kind.INSTRUMENT, ts_init=T0, ts_event=T0, flags=INPUT,
                              **inst.to_fields(iid))[0])
    usd_raw = usd * 100
    kernel.publish_one(encode(
        Kind.ACCOUNT_STATE, ts_init=T0, ts_event=T0, flags=INPUT, account_id=exchange.account_id,
        currency=Currency.from_code("USD").packed, account_type=int(AccountType.CASH),
        balance_total=usd_raw, balance_free=usd_raw)[0])
    kernel.start()
    return kernel


def quotes(kernel: Kernel, bids: np.ndarray, spread: int = 10, t0: int = T0 + 1) -> np.ndarray:
    """Returns QUOTE input records (price precision 5, sizes 1e6) one ms apart."""
    n = len(bids)
    recs = np.zeros(n, dtype=KIND_DTYPES[Kind.QUOTE])
    recs["kind"] = int(Kind.QUOTE)
    recs["flags"] = INPUT
    recs["ts_init"] = recs["ts_event"] = t0 + np.arange(n, dtype=np.int64) * 1_000_000
    recs["instrument_id"] = kernel.strings.id_of(SYMBOL)
    recs["price_precision"] = 5
    recs["bid"] = bids
    recs["ask"] = bids + spread
    recs["bid_size"] = recs["ask_size"] = 1_000_000
    return recs


def feed(kernel: Kernel, records: np.ndarray) -> None:
    """Runs input records through the replay loop."""
    run(kernel, [records])


def log(kernel: Kernel, first: int = 1) -> list[Any]:
    """Returns the raw records with seq >= ``first`` still in the ring."""
    out = []
    for view in kernel.ring.views(max(first, kernel.last_seq - kernel.ring.capacity + 1),
                                  kernel.last_seq):
        data = view.tobytes()
        out.extend(decode_raw(data, i * 128) for i in range(len(view)))
    return out


def shared_eurusd(kernel: Kernel, shared_data: Path, n: int) -> np.ndarray:
    """Returns QUOTE input records of the first ``n`` EUR/USD quotes of the shared HistData file
    (real prices at precision 5; times are the file's, EST taken as UTC, kept increasing)."""
    rows = (shared_data / "quote_tick_data.csv").read_text().splitlines()[:n]
    cols = [r.split(",") for r in rows]
    ts = np.array([np.datetime64(f"{c[0][:4]}-{c[0][4:6]}-{c[0][6:8]}T{c[0][9:11]}:"
                                 f"{c[0][11:13]}:{c[0][13:15]}.{c[0][15:18]}", "ns")
                   for c in cols]).astype(np.int64)
    ts = np.maximum.accumulate(ts)
    bid = np.rint(np.array([float(c[1]) for c in cols]) * 1e5).astype(np.int64)
    ask = np.rint(np.array([float(c[2]) for c in cols]) * 1e5).astype(np.int64)
    recs = quotes(kernel, bid, t0=int(ts[0]))
    recs["ts_init"] = recs["ts_event"] = ts
    recs["ask"] = np.maximum(ask, bid + 1)
    return recs
