"""Bracket orders through the whole kernel: quotes in, brackets out, the order manager between.

Row ``bracket_every_n``: :class:`examples.bracket.strategy.BracketEveryN` on 100 k synthetic
quotes (``_common.quote_records``), a bracket (market entry, take-profit limit and stop-loss
stop-market 3 ticks away) whenever it is flat and none is working, alternating buy and sell, on
a margin account: about 11.1 k brackets, each entry fill releasing two exits and each exit fill
cancelling the other - with cache, data, risk and execution engines, the order manager, the
(idle) order emulator and the simulated exchange, no journal. ``--account cash`` runs the
workload of the passes before 2026-12-07 (docs/hot-paths.md): on a cash account every sell
bracket is denied (no short selling), so only half of its 11.5 k brackets trade. The quotes go
through the replay loop under the garbage collector policy the ``ringbus backtest`` command
runs its loop with (:func:`replay.gc_policy.collector_for_runs`: the setup frozen, generation 0
every 100 k allocations). ``quotes_per_s`` is the median of ``--repeats`` timed runs inside one
process (``cpu_s``: the median CPU time of a run, ``time.process_time``); ``process_s`` is the
wall time of one whole ``python perf/backtest_brackets.py --once`` (interpreter start, imports,
data, run). ``traded`` / ``denied``: brackets whose entry filled / that the risk engine denied.

``--identity`` prints, instead of timings, what an optimisation must leave unchanged: the sha256
of every record the kernel journals (setup included) and the state hash, for the cash-account
run and a 30 k-quote cash run with a bracket every 3 quotes (docs/hot-paths.md, sixth and
seventh passes), and for the margin-account run.
"""

from __future__ import annotations

import gc
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import attrs
import numpy as np
from _common import feed_quotes, median_rate, parser, publish_fx_setup, quote_records, report
from backtest_cli import PEER_PY, PEERS, ROOT, _wall

from domain.kinds import KIND_DTYPES, Kind
from domain.order_fsm import OrderStatus
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
from replay.loaders.quotes_csv import iter_quotes_csv

SYMBOL = "EUR/USD.SIM"
#: ``--peer``: the parity test's settings (tests/golden/test_nautilus_bracket_parity.py)
PEER_EVERY, PEER_TICKS = 25, 25
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


@attrs.frozen
class Workload:
    """The bracket strategy's parameters and the venue's (the bench's defaults)."""

    symbol: str = SYMBOL
    price_precision: int = 2
    quantity: int = 10
    ticks: int = 3  # take-profit and stop-loss distance from the touch
    every: int = 8
    margin: bool = True
    stop_fill_at_trigger: bool = False


def make_run(records, stats: dict, work: Workload = Workload(),
             journal: HashingSink | None = None) -> callable:
    def once() -> None:
        kernel = Kernel(capacity=1 << 16, journal=journal)
        kernel.register(Cache())
        kernel.register(DataEngine())
        execution = kernel.register(ExecutionEngine())
        kernel.register(RiskEngine(execution))
        kernel.register(OrderManager())
        kernel.register(OrderEmulator())  # as replay.backtest_setup registers it (idle here)
        exchange = kernel.register(SimulatedExchange(ExchangeConfig(
            venue="SIM", stop_fill_at_trigger=work.stop_fill_at_trigger)))
        strategy = kernel.register(BracketEveryN(
            work.symbol, quantity=work.quantity, tp_ticks=work.ticks, sl_ticks=work.ticks,
            every=work.every, on="quote"))
        kernel.publish_setup()
        iid = publish_fx_setup(kernel, work.symbol, exchange.account_id,
                               price_precision=work.price_precision, margin=work.margin)
        kernel.start()
        with collector_for_runs():  # as ``ringbus backtest`` runs its loop (replay.backtest)
            feed_quotes(kernel, records, iid)
        kernel.stop()
        assert kernel.faulted is None
        stats["brackets"] = len(strategy.lists)
        entries = [kernel.cache.order(ids[0]) for ids in strategy.lists]
        stats["traded"] = sum(1 for o in entries if o is not None and o.filled_qty.raw > 0)
        stats["denied"] = sum(1 for o in entries
                              if o is not None and o.status == OrderStatus.DENIED)
        stats["fills"] = sum(1 for o in kernel.cache.orders() if o.filled_qty.raw > 0)
        stats["open_orders"] = len(kernel.cache.orders(open_only=True))
        stats["state_hash"] = f"{kernel.state_hash():016x}"
    return once


def identity_rows() -> list[dict]:
    """The records' sha256 and the state hash of the cash-account run, its 30 k variant and the
    margin-account run (the timed default)."""
    rows = []
    for n, every, margin in ((N_QUOTES, 8, False), (30_000, 3, False), (N_QUOTES, 8, True)):
        sink, stats = HashingSink(), {}
        make_run(quote_records(n), stats, Workload(every=every, margin=margin), sink)()
        rows.append({"quotes": n, "every": every, "account": "margin" if margin else "cash",
                     "records": sink.n,
                     "records_sha256": sink.sha.hexdigest(), "state_hash": stats["state_hash"]})
    return rows


def write_dense_csv(path: Path) -> None:
    """Writes the bench's own quotes (``quote_records``: a 2-point spread) as a peers' CSV: the
    raw prices as points of a 5-decimal pair, the sizes in units of 100 000 (a 100 000 order
    always fills at the touch in one fill, on both engines), the gaps between quotes in
    milliseconds instead of nanoseconds (NautilusTrader's risk engine admits 100 orders a second
    by default)."""
    q = quote_records(N_QUOTES).view(KIND_DTYPES[Kind.QUOTE]).copy()
    start = int(q["ts_init"][0])
    q["ts_init"] = start + (q["ts_init"] - start) * 1_000_000
    with path.open("w") as f:
        f.write("ts_ns,bid,ask,bid_size,ask_size\n")
        for ts, bid, ask, bs, asz in zip(q["ts_init"].tolist(), q["bid"].tolist(),
                                         q["ask"].tolist(), q["bid_size"].tolist(),
                                         q["ask_size"].tolist(), strict=True):
            f.write(f"{ts},{bid / 1e5:.5f},{ask / 1e5:.5f},{bs * 100_000},{asz * 100_000}\n")


def peer_rows(repeats: int) -> list[dict]:
    """ringbus and NautilusTrader on the same quotes with the same bracket logic
    (``perf/peer_nautilus_bracket.py``), two workloads: ``dense``, the bench's quotes with a
    bracket every 8 quotes when none is working, exits 3 points away (about 10 k brackets), and
    ``parity``, the parity test's settings (a bracket every 25 quotes, exits 25 points away) on
    100 k seed-42 AUD/USD quotes. Per side: the engine (ringbus: median of ``repeats`` runs in
    one process; NautilusTrader: its ``engine.run()``) and the whole process (``ringbus
    backtest`` with its journal and report, against the peer script), runs interleaved."""
    if not PEER_PY.exists():
        raise SystemExit(f"no NautilusTrader peer venv at {PEER_PY} (run {PEERS}/setup.sh)")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        dense, seed42 = Path(tmp) / "dense.csv", Path(tmp) / "seed42.csv"
        write_dense_csv(dense)
        _wall([str(PEER_PY), str(PEERS / "gen_quotes.py"), "--n", str(N_QUOTES), "--seed", "42",
               "--out", str(seed42)], ROOT)
        for name, csv, every, ticks in (("dense", dense, 8, 3),
                                        ("parity", seed42, PEER_EVERY, PEER_TICKS)):
            work = Workload(symbol="AUD/USD.SIM", price_precision=5, quantity=100_000,
                            ticks=ticks, every=every, stop_fill_at_trigger=True)
            rows += _compare(name, csv, work, repeats, Path(tmp))
    return rows


def _compare(name: str, csv: Path, work: Workload, repeats: int, tmp: Path) -> list[dict]:
    """One workload through both engines: a row per side."""
    text = csv.read_text()
    ours = tmp / f"{name}_ringbus.csv"
    ours.write_text("timestamp" + text[text.index(","):])  # the quotes loader's header
    stats: dict = {}
    records = np.concatenate(list(iter_quotes_csv(  # as ``ringbus backtest`` reads the file
        ours, 0, price_precision=work.price_precision, size_precision=0)))
    run = make_run(records, stats, work)
    run()
    command = [sys.executable, "-m", "replay.cli", "backtest", "--strategy",
               "examples.bracket.strategy:BracketEveryN", "--param",
               f"instrument={work.symbol}", "--param", "on=quote", "--param",
               f"every={work.every}", "--param", f"tp_ticks={work.ticks}", "--param",
               f"sl_ticks={work.ticks}", "--param", f"quantity={work.quantity}",
               "--data", str(ours), "--instrument", work.symbol, "--quiet"]
    theirs = [str(PEER_PY), str(ROOT / "perf" / "peer_nautilus_bracket.py"), "--csv", str(csv),
              "--every", str(work.every), "--ticks", str(work.ticks)]
    ringbus_s, peer_s, ringbus_whole, peer_whole = [], [], [], []
    peer: dict = {}
    for i in range(max(1, repeats)):
        t0 = time.perf_counter()
        run()
        ringbus_s.append(time.perf_counter() - t0)
        ringbus_whole.append(_wall([*command, "--journal", str(tmp / f"{name}{i}")], ROOT)[:2])
        wall, cpu, out = _wall(theirs, ROOT)
        peer = json.loads(out.strip().splitlines()[-1])
        peer_s.append(peer["run_s"])
        peer_whole.append((wall, cpu))
    med = statistics.median
    engine, peer_engine = med(ringbus_s), med(peer_s)
    whole, peer_wall = med(w for w, _ in ringbus_whole), med(w for w, _ in peer_whole)

    def row(side: str, brackets: int, fills: int, eng: float, wall: float, cpu: float) -> dict:
        return {"workload": name, "side": side, "brackets": brackets, "fills": fills,
                "engine_s": round(eng, 3), "quotes_per_s": round(N_QUOTES / eng),
                "whole_s": round(wall, 2), "whole_cpu_s": round(cpu, 2),
                "engine_x_peer": round(peer_engine / eng, 2),
                "whole_x_peer": round(peer_wall / wall, 2)}

    return [row("ringbus", stats["brackets"], stats["fills"], engine, whole,
                med(c for _, c in ringbus_whole)),
            row("NautilusTrader 1.221.0", peer["brackets"], len(peer["fills"]), peer_engine,
                peer_wall, med(c for _, c in peer_whole))]


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--once", action="store_true", help="one untimed run (for process_s)")
    p.add_argument("--identity", action="store_true",
                   help="print the records' sha256 and state hashes instead of timings")
    p.add_argument("--account", choices=("margin", "cash"), default="margin",
                   help="the account the brackets trade on (cash: the sells are denied)")
    p.add_argument("--peer", action="store_true",
                   help="compare with NautilusTrader on the same quotes (its venv: setup.sh)")
    args = p.parse_args()
    margin = args.account == "margin"
    if args.peer:
        report(f"bracket_every_n against NautilusTrader, {N_QUOTES:,} quotes",
               peer_rows(args.repeats), args.json)
        return
    if args.identity:
        report("backtest_brackets identity", identity_rows(), args.json)
        return
    records = quote_records(N_QUOTES)
    stats: dict = {}
    if args.once:
        make_run(records, stats, Workload(margin=margin))()
        gc.freeze()  # the process ends here: no final collection passes (as replay.cli.main)
        return
    cpu: list[float] = []
    run = make_run(records, stats, Workload(margin=margin))

    def timed() -> None:
        c0 = time.process_time()
        run()
        cpu.append(time.process_time() - c0)

    rate, _ = median_rate(timed, N_QUOTES, args.repeats)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--once", "--account", args.account], check=True)
    process_s = time.perf_counter() - t0
    report("backtest_brackets", [{
        "workload": f"bracket_every_n ({args.account})", "quotes": N_QUOTES,
        "brackets": stats["brackets"], "traded": stats["traded"], "denied": stats["denied"],
        "quotes_per_s": round(rate), "cpu_s": round(statistics.median(cpu[1:]), 3),
        "process_s": round(process_s, 2),
        "open_orders_at_end": stats["open_orders"],
    }], args.json)


if __name__ == "__main__":
    main()
