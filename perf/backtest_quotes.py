"""Backtest quote throughput through the full kernel (ring, fused consumer, replay loop).

Rows: ``batch_no_reactions`` (nobody subscribes: runs published as batches, 1 M quotes),
``one_at_a_time_noop_on_quote`` (a strategy with an empty on_quote), ``one_at_a_time_ema`` (a
strategy computing an EMA of the mid in on_quote) - cache + data engine only, no journal,
100 k quotes; ``ema_cross_exchange[_journal]``: the issue-6 workload - ema_cross over 100 k
quotes with risk, execution and the simulated exchange (about 10 k orders), without / with an
LMDB journal (durability ``none``), the journal taking every record as it comes or in runs
(``Kernel(journal_lag=4096)``); ``noop_on_quote_journal*``: the journal's cost on the quote path. Medians of ``--repeats``; the machine is shared and noisy.

Before the fused consumer (three stage consumers, numpy view + tobytes per record): noop
on_quote 63 k/s, EMA 40 k/s (docs/engines.md has the history).
"""

from __future__ import annotations

import shutil
import tempfile

from _common import feed_quotes, median_rate, parser, publish_fx_setup, quote_records, report

from domain.enums import RecordFlag
from engines.cache import Cache
from engines.data_engine import DataEngine
from engines.exchange import ExchangeConfig, SimulatedExchange
from engines.execution import ExecutionEngine
from engines.kernel import Kernel
from engines.risk import RiskEngine
from engines.strategies.ema_cross import EmaCross
from engines.strategy import Strategy
from journal import JournalWriter

SYMBOL = "EUR/USD.SIM"
INPUT = int(RecordFlag.INPUT)


class Noop(Strategy):
    def on_start(self) -> None:
        self.subscribe_quotes(SYMBOL)

    def on_quote(self, quote) -> None:
        pass


class Ema(Noop):
    def __init__(self) -> None:
        super().__init__("ema")
        self.value = 0.0
        self.alpha = 2.0 / 21.0

    def on_quote(self, quote) -> None:
        self.value += self.alpha * ((quote.bid_raw + quote.ask_raw) * 0.5 - self.value)


def make_run(strategy_cls, records, trading: bool = False, journal: bool = False,
             journal_lag: int = 0):
    def once() -> None:
        tmp = tempfile.mkdtemp(prefix="ringbus-bench-") if journal else None
        writer = JournalWriter(tmp, durability="none") if journal else None
        kernel = Kernel(capacity=1 << 16, journal=writer, journal_lag=journal_lag)
        kernel.register(Cache())
        kernel.register(DataEngine())
        if trading:
            execution = kernel.register(ExecutionEngine())
            kernel.register(RiskEngine(execution))
            exchange = kernel.register(SimulatedExchange(ExchangeConfig(venue="SIM")))
        if strategy_cls is not None:
            kernel.register(strategy_cls())
        kernel.publish_setup()
        iid = publish_fx_setup(kernel, SYMBOL, exchange.account_id if trading else None)
        kernel.start()
        feed_quotes(kernel, records, iid)
        kernel.stop()
        if writer is not None:
            writer.commit()
            writer.close()
            shutil.rmtree(tmp)
    return once


def ema_cross() -> EmaCross:
    return EmaCross(SYMBOL)


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    rows = []
    for name, cls, n, trading, journal, lag in (
        ("batch_no_reactions", None, 1_000_000, False, False, 0),
        ("one_at_a_time_noop_on_quote", Noop, 100_000, False, False, 0),
        ("one_at_a_time_ema", Ema, 100_000, False, False, 0),
        ("noop_on_quote_journal", Noop, 100_000, False, True, 0),
        ("noop_on_quote_journal_lag_4096", Noop, 100_000, False, True, 4096),
        ("ema_cross_exchange", ema_cross, 100_000, True, False, 0),
        ("ema_cross_exchange_journal", ema_cross, 100_000, True, True, 0),
        ("ema_cross_exchange_journal_lag_4096", ema_cross, 100_000, True, True, 4096),
    ):
        records = quote_records(n)
        rate, secs = median_rate(make_run(cls, records, trading, journal, lag), n, args.repeats)
        rows.append({"workload": name, "records": n, "records_per_s": round(rate),
                     "us_per_record": round(1e6 / rate, 2)})
    report("backtest_quotes", rows, args.json)


if __name__ == "__main__":
    main()
