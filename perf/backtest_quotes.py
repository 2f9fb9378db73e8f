"""Backtest quote throughput through the full kernel (ring, cache, stages, replay loop).

Rows: ``batch_no_reactions`` (nobody subscribes: runs published as batches),
``one_at_a_time_noop_on_quote`` (a strategy with an empty on_quote), ``one_at_a_time_ema``
(a strategy computing an EMA of the mid in on_quote). No journal. Medians of ``--repeats``.
"""

from __future__ import annotations

from _common import median_rate, parser, quote_records, report

from domain.codec import encode
from domain.enums import RecordFlag
from domain.instruments import Instrument
from domain.kinds import KIND_DTYPES, Kind
from engines.cache import Cache
from engines.data_engine import DataEngine
from engines.kernel import Kernel
from engines.strategy import Strategy
from replay.loop import run

SYMBOL = "EUR/USD.SIM"


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


def make_run(strategy_cls, records):
    def once() -> None:
        kernel = Kernel(capacity=1 << 16)
        kernel.register(Cache())
        kernel.register(DataEngine())
        if strategy_cls is not None:
            kernel.register(strategy_cls())
        iid = kernel.intern(SYMBOL)
        fields = Instrument.fx_pair(SYMBOL).to_fields(iid)
        kernel.start()
        kernel.publish_one(encode(Kind.INSTRUMENT, flags=int(RecordFlag.INPUT), **fields)[0])
        recs = records.copy()
        recs.view(KIND_DTYPES[Kind.QUOTE])["instrument_id"] = iid
        run(kernel, [recs[i : i + 65536] for i in range(0, len(recs), 65536)])
        kernel.stop()
    return once


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    rows = []
    for name, cls, n in (("batch_no_reactions", None, 1_000_000),
                         ("one_at_a_time_noop_on_quote", Noop, 100_000),
                         ("one_at_a_time_ema", Ema, 100_000)):
        records = quote_records(n)
        rate, secs = median_rate(make_run(cls, records), n, args.repeats)
        rows.append({"workload": name, "records": n, "records_per_s": round(rate),
                     "us_per_record": round(1e6 / rate, 2)})
    report("backtest_quotes", rows, args.json)


if __name__ == "__main__":
    main()
