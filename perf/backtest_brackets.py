"""Bracket orders through the whole kernel: quotes in, brackets out, the order manager between.

Row ``bracket_every_n``: :class:`examples.bracket.strategy.BracketEveryN` on 100 k synthetic
quotes (``_common.quote_records``), a bracket (market entry, take-profit limit and stop-loss
stop-market 3 ticks away) whenever it is flat and none is working - about 10 k brackets, each
entry fill releasing two exits and each exit fill cancelling the other - with cache, data, risk
and execution engines, the order manager, the (idle) order emulator and the simulated exchange,
no journal. The quotes go through the replay loop under the garbage collector policy the
``ringbus backtest`` command runs its loop with (:func:`replay.gc_policy.collector_for_runs`:
the setup frozen, generation 0 every 100 k allocations). ``quotes_per_s`` is the median of
``--repeats`` timed runs inside one process (``cpu_s``: the median CPU time of a run,
``time.process_time``); ``process_s`` is the wall time of one whole ``python
perf/backtest_brackets.py --once`` (interpreter start, imports, data, run).

``--identity`` prints, instead of timings, what an optimisation must leave unchanged: the sha256
of every record the kernel journals (setup included) and the state hash, for this run and for a
30 k-quote run with a bracket every 3 quotes (docs/hot-paths.md, sixth and seventh passes).
"""

from __future__ import annotations

import gc
import hashlib
import statistics
import subprocess
import sys
import time

from _common import feed_quotes, median_rate, parser, publish_fx_setup, quote_records, report

from domain.enums import RecordFlag
from engines.cache import Cache
from engines.data_engine import DataEngine
from engines.emulator import OrderEmulator
from engines.exchange import ExchangeConfig, SimulatedExchange
from engines.execution import ExecutionEngine
from engines.kernel import Kernel
from engines.order_manager import OrderManager
from engines.risk import RiskEngine
from examples.bracket.strategy import BracketEveryN
from replay.gc_policy import collector_for_runs

SYMBOL = "EUR/USD.SIM"
INPUT = int(RecordFlag.INPUT)
N_QUOTES = 100_000


class HashingSink:
    """A journal that keeps nothing but the sha256 of every record it is handed, in order."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()
        self.n = 0
        self.committed_seq = 0

    def on_batch(self, batch) -> None:
        self.sha.update(batch.tobytes())
        self.n += len(batch)
        self.committed_seq += len(batch)

    def flush(self) -> int:
        return self.committed_seq

    def commit(self) -> int:
        return self.committed_seq


def make_run(records, stats: dict, every: int = 8, journal: HashingSink | None = None
             ) -> callable:
    def once() -> None:
        kernel = Kernel(capacity=1 << 16, journal=journal)
        kernel.register(Cache())
        kernel.register(DataEngine())
        execution = kernel.register(ExecutionEngine())
        kernel.register(RiskEngine(execution))
        kernel.register(OrderManager())
        kernel.register(OrderEmulator())  # as replay.backtest_setup registers it (idle here)
        exchange = kernel.register(SimulatedExchange(ExchangeConfig(venue="SIM")))
        strategy = kernel.register(BracketEveryN(SYMBOL, quantity=10, tp_ticks=3, sl_ticks=3,
                                                 every=every, on="quote"))
        kernel.publish_setup()
        iid = publish_fx_setup(kernel, SYMBOL, exchange.account_id, price_precision=2)
        kernel.start()
        with collector_for_runs():  # as ``ringbus backtest`` runs its loop (replay.backtest)
            feed_quotes(kernel, records, iid)
        kernel.stop()
        assert kernel.faulted is None
        stats["brackets"] = len(strategy.lists)
        stats["open_orders"] = len(kernel.cache.orders(open_only=True))
        stats["state_hash"] = f"{kernel.state_hash():016x}"
    return once


def identity_rows() -> list[dict]:
    """The records' sha256 and the state hash of the benchmark run and of the 30 k variant."""
    rows = []
    for n, every in ((N_QUOTES, 8), (30_000, 3)):
        sink, stats = HashingSink(), {}
        make_run(quote_records(n), stats, every, sink)()
        rows.append({"quotes": n, "every": every, "records": sink.n,
                     "records_sha256": sink.sha.hexdigest(), "state_hash": stats["state_hash"]})
    return rows


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--once", action="store_true", help="one untimed run (for process_s)")
    p.add_argument("--identity", action="store_true",
                   help="print the records' sha256 and state hashes instead of timings")
    args = p.parse_args()
    if args.identity:
        report("backtest_brackets identity", identity_rows(), args.json)
        return
    records = quote_records(N_QUOTES)
    stats: dict = {}
    if args.once:
        make_run(records, stats)()
        gc.freeze()  # the process ends here: no final collection passes (as replay.cli.main)
        return
    cpu: list[float] = []
    run = make_run(records, stats)

    def timed() -> None:
        c0 = time.process_time()
        run()
        cpu.append(time.process_time() - c0)

    rate, _ = median_rate(timed, N_QUOTES, args.repeats)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--once"], check=True)
    process_s = time.perf_counter() - t0
    report("backtest_brackets", [{
        "workload": "bracket_every_n", "quotes": N_QUOTES, "brackets": stats["brackets"],
        "quotes_per_s": round(rate), "cpu_s": round(statistics.median(cpu[1:]), 3),
        "process_s": round(process_s, 2),
        "open_orders_at_end": stats["open_orders"],
    }], args.json)


if __name__ == "__main__":
    main()
