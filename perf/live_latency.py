"""Tick-to-order latency of the live node: a quote pushed into the node's inbox -> the node thread
(journal, kernel fold, strategy, risk, commit, outbound release) -> the FIX adapter (FIX_OUT
committed, encoded) -> NewOrderSingle bytes read by the venue's socket.

Topology: the real :class:`replay.nodes.live.LiveNode` (journal and FIX session store in a tmp
dir, durability from ``--durability``) with one extra strategy that buys a limit order on every
``--every``-th quote, priced at the quote's bid (which encodes the quote's index). A producer
thread (the market-data adapter's place) calls ``node.push`` once per period, sleeping between
(as a socket reader blocks). The venue is a separate process: a minimal FIX acceptor that
answers the Logon, timestamps each NewOrderSingle as it reads it and rejects it (so the
order closes, as a fill would, and the answer comes back through the node's inbox); both sides
read ``perf_counter_ns`` (CLOCK_MONOTONIC: one clock for the machine). QuickFIX ordermatch is
not used here: its matching and logging add their own latency per order.

``--stages`` also prints where the time goes per order (wall and node-thread CPU per leg);
``--startup`` measures the whole process instead: ``ringbus live --quotes-stdin`` spawned with
one quote line waiting on stdin, to the first NewOrderSingle read by the venue.

    python perf/live_latency.py [--n 5000] [--every 10] [--runs 3] [--stages] [--json]
        [--wait blocking,yielding,busy-spin] [--spin-us 2000]
    python perf/live_latency.py --startup [--runs 3] [--json]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import parser, report

from domain.codec import encode
from domain.enums import OrderSide, TimeInForce
from domain.kinds import KIND_DTYPES, Kind
from engines.strategy import Strategy
from replay.nodes.live import LiveNode

ROOT = Path(__file__).resolve().parents[1]
SYMBOL = "MSFT.V"
BASE_BID = 100_000  # raw bid of quote 0 at price precision 2 (1000.00); quote i: BASE_BID + i

# The venue side, run as its own process: prints its port, then, after the client's Logout,
# one JSON line {quote index: perf_counter_ns when its NewOrderSingle was read}.
PEER = r"""
import json, socket, sys, time, simplefix
server = socket.create_server(("127.0.0.1", 0))
print(server.getsockname()[1], flush=True)
conn, _ = server.accept()
conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
fix, seen, out_seq = simplefix.FixParser(), {}, 0
def reply(msg_type, *pairs):
    global out_seq
    out_seq += 1
    m = simplefix.FixMessage()
    for tag, value in ((8, b"FIX.4.2"), (35, msg_type), (49, b"V"), (56, b"RINGBUS"),
                       (34, str(out_seq).encode()), (52, b"20260101-00:00:00"), *pairs):
        m.append_pair(tag, value)
    conn.sendall(m.encode())
done = False
while not done and (data := conn.recv(1 << 16)):
    now = time.perf_counter_ns()
    fix.append_buffer(data)
    while (msg := fix.get_message()) is not None:
        t = msg.get(35)
        if t == b"A":
            reply(b"A", (98, b"0"), (108, b"30"))
        elif t == b"D":
            seen[round(float(msg.get(44)) * 100) - BASE_BID] = now
            reply(b"8", (11, msg.get(11)), (37, msg.get(11)), (17, msg.get(11)), (150, b"8"),
                  (39, b"8"), (55, msg.get(55)), (54, msg.get(54)), (14, b"0"), (151, b"0"),
                  (58, b"benchmark venue: rejected"))
        elif t == b"5":
            reply(b"5")
            done = True
print(json.dumps(seen), flush=True)
""".replace("BASE_BID", str(BASE_BID))


class OrderOnQuote(Strategy):
    """Buys 1 at the bid on every ``every``-th quote (DAY: what the venue's capabilities take)."""

    def __init__(self, every: int) -> None:
        super().__init__("order_on_quote")
        self.every = every
        self.n = 0

    def on_start(self) -> None:
        self.subscribe_quotes(SYMBOL)

    def on_quote(self, quote: Any) -> None:
        if self.n % self.every == 0:
            self.submit_order(self.order_factory.limit(SYMBOL, OrderSide.BUY, 1, quote.bid,
                                                      time_in_force=TimeInForce.DAY))
        self.n += 1


def live_config(port: int, journal: Path, durability: str, wait: str = "blocking",
                spin_us: float = 2000.0) -> dict[str, Any]:
    """The node's config: venue V over FIX at ``port``, one equity, cash account; the node
    thread waits for its inbox by ``wait`` (:mod:`replay.nodes.wait`)."""
    durability, _, sync_commit = durability.partition(":")  # "sync:single": fsyncs apart
    options = {} if wait == "blocking" else {"wait": wait, "spin_us": spin_us}
    if sync_commit:
        options["sync_commit"] = sync_commit
    return {
        "journal": str(journal), "durability": durability,
        "venues": [{"name": "V", "account_type": "CASH", "starting_balances": ["10000000 USD"]}],
        "instruments": [{"id": SYMBOL, "instrument_class": "EQUITY", "price_precision": 2,
                         "size_precision": 0}],
        "fix": {"venue": "V", "host": "127.0.0.1", "port": port, "sender": "RINGBUS",
                "target": "V", "heartbeat_s": 30},
        "live": {"stop_grace_s": 1.0, **options},
    }


def start_peer() -> tuple[subprocess.Popen, int]:
    peer = subprocess.Popen([sys.executable, "-c", PEER], stdout=subprocess.PIPE, text=True)
    return peer, int(peer.stdout.readline())


def quote(iid: int, i: int) -> np.ndarray:
    return encode(Kind.QUOTE, instrument_id=iid, price_precision=2, size_precision=0,
                  bid=BASE_BID + i, ask=BASE_BID + i + 1, bid_size=1000, ask_size=1000)


class Probe:
    """Stage timestamps per quote index: wall (``perf_counter_ns``) and, as ``stage#cpu``, the
    CPU clock of the thread that stamps (the node thread for every stage but the first). The
    stamps after ``released`` are the order's group's (the orders one commit hands out)."""

    def __init__(self, n: int) -> None:
        #: the orders handed to the venue client and not yet written (a group goes out in one
        #: commit and one write: ``FixSession.corked``)
        self.pending: list[int] = []
        self.stamps: dict[str, np.ndarray] = {}
        self.n = n

    def mark_pending(self, stage: str) -> None:
        """Stamps ``stage`` for every pending order not stamped yet."""
        for i in self.pending:
            self.mark(stage, i, once=True)

    def mark(self, stage: str, i: int, once: bool = False) -> None:
        if i < 0 or (once and stage in self.stamps and self.stamps[stage][i]):
            return
        for name, clock in ((stage, time.perf_counter_ns), (stage + "#cpu", time.thread_time_ns)):
            col = self.stamps.get(name)
            if col is None:
                col = self.stamps[name] = np.zeros(self.n, dtype=np.int64)
            col[i] = clock()


def instrument(node: LiveNode, probe: Probe) -> None:
    """Wraps the node's seams to stamp each order's stages (``--stages`` only)."""
    inbox, kernel, venue, session = node.inbox, node.kernel, node.venue, node.session
    take = inbox.take

    def stamped_take(timeout_s: float) -> Any:
        taken = take(timeout_s)
        if taken is not None and len(taken[0]):
            quotes = taken[0][taken[0]["kind"] == Kind.QUOTE].view(KIND_DTYPES[Kind.QUOTE])
            for i in (quotes["bid"] - BASE_BID).tolist():
                probe.mark("taken", i)
        return taken

    inbox.take = stamped_take  # type: ignore[method-assign]
    commit = kernel.journal.commit

    def stamped_commit() -> int:
        for _, _, args in kernel.outbound.held:
            order = kernel.ctx.cache.order(args[0].client_order_id)
            if order is not None:
                probe.mark("committing", order.price_raw - BASE_BID)
        return commit()

    kernel.journal.commit = stamped_commit  # type: ignore[method-assign]
    submit = venue.submit

    def stamped_submit(cmd: Any, request: Any = None) -> None:
        i = (request.price if request is not None else
             kernel.ctx.cache.order(cmd.client_order_id).price_raw) - BASE_BID
        probe.mark("released", i)
        probe.pending.append(i)
        submit(cmd, request)

    venue.submit = stamped_submit  # type: ignore[method-assign]
    fix_commit = session.journal.writer.commit

    def stamped_fix_commit() -> int:
        probe.mark_pending("fix journal commit")
        return fix_commit()

    session.journal.writer.commit = stamped_fix_commit  # type: ignore[method-assign]
    write = session._write

    def stamped_write(data: bytes) -> None:
        probe.mark_pending("encoded")
        write(data)
        probe.mark_pending("sent")
        probe.pending.clear()

    session._write = stamped_write  # type: ignore[method-assign]


def run(durability: str, rate: int, n: int, every: int, stages: bool, wait: str = "blocking",
        spin_us: float = 2000.0) -> dict:
    """One run: ``n`` quotes at ``rate`` per second into a live node; returns the latency row."""
    peer, port = start_peer()
    with tempfile.TemporaryDirectory() as tmp:
        node = LiveNode(live_config(port, Path(tmp) / "node", durability, wait, spin_us),
                        [OrderOnQuote(every)]).start()
        probe = Probe(n)
        if stages:
            instrument(node, probe)
        iid = node.instrument_id(SYMBOL)
        pushed = np.zeros(n, dtype=np.int64)
        period_ns = 1_000_000_000 // rate
        # built before the clock starts: the producer's encode is the market-data adapter's
        # work, not the path measured (at 10 k/s it took ~7 us of the one GIL per quote)
        quotes = [quote(iid, i) for i in range(n)]
        start = time.perf_counter_ns()
        for i in range(n):
            rec = quotes[i]
            if (ahead_ns := start + i * period_ns - time.perf_counter_ns()) > 0:
                time.sleep(ahead_ns / 1e9)
            pushed[i] = time.perf_counter_ns()
            node.push(rec)
        elapsed = time.perf_counter_ns() - start
        open_at_end = _settle(node)
        node_cpu_ns = _thread_cpu_ns(node._thread)
        fix_cpu_ns = _thread_cpu_ns(node.session._thread)
        node.stop()
        seen = {int(k): v for k, v in json.loads(peer.stdout.readline()).items()}
        peer.wait(10)
    orders = list(range(0, n, every))
    missing = [i for i in orders if i not in seen]
    if missing:
        raise RuntimeError(f"the venue read {len(orders) - len(missing)} of {len(orders)} "
                           f"NewOrderSingles (first missing: quote {missing[0]})")
    lat_us = np.array([seen[i] - pushed[i] for i in orders]) / 1000
    row = {
        "durability": durability, "wait": wait, "inputs_per_s": rate,
        "achieved_per_s": round(n / (elapsed / 1e9)), "orders": len(orders),
        "open_at_end": open_at_end, "p50_us": _pct(lat_us, 50), "p99_us": _pct(lat_us, 99),
        "p99.9_us": _pct(lat_us, 99.9), "max_us": _pct(lat_us, 100),
        "node_cpu_us_per_input": round(node_cpu_ns / n / 1000, 1) if node_cpu_ns else "-",
        "fix_cpu_us_per_order": round(fix_cpu_ns / len(orders) / 1000, 1) if fix_cpu_ns
        else "-",
    }
    if stages:
        row["stages"] = _stage_table(probe, pushed, seen, orders)
    return row


def _thread_cpu_ns(thread: Any) -> int:
    """CPU time of ``thread`` so far (Linux: its schedstat), 0 when unknown. Includes the node's
    start-up (journal, logon, setup records): small next to thousands of inputs."""
    try:
        with open(f"/proc/self/task/{thread.native_id}/schedstat") as f:
            return int(f.read().split()[0])
    except (OSError, AttributeError, ValueError):
        return 0


def _settle(node: LiveNode, timeout_s: float = 30.0) -> int:
    """Waits (bounded) for the venue's last answers to reach the kernel; returns how many
    orders it still holds open."""
    deadline = time.monotonic() + timeout_s
    while (open_now := len(node.kernel.ctx.cache.trading.orders_open)) and \
            time.monotonic() < deadline:
        time.sleep(0.01)
    return open_now


def startup(durability: str) -> dict:
    """``ringbus live`` spawned with one quote waiting on stdin -> its NewOrderSingle read
    (the config's strategy is the live tests' scripted one: a limit on the first quote)."""
    from tests.live.live_rig import write_toml

    peer, port = start_peer()
    with tempfile.TemporaryDirectory() as tmp:
        raw = live_config(port, Path(tmp) / "node", durability)
        raw["strategies"] = [{"name": "tests.live.live_strategies:ScriptedOrders", "params": {
            "instrument": SYMBOL, "steps": [{"at": 1, "do": "limit", "qty": "1",
                                             "price": f"{BASE_BID / 100:.2f}"}]}}]
        config = write_toml(raw, Path(tmp) / "live.toml")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
        t0 = time.perf_counter_ns()
        node = subprocess.Popen([sys.executable, "-m", "replay.cli", "live", "--config",
                                 str(config), "--quotes-stdin"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, env=env, cwd=tmp)
        node.stdin.write(f"{SYMBOL} {BASE_BID / 100:.2f} {(BASE_BID + 1) / 100:.2f}\n")
        node.stdin.flush()
        ready = node.stdout.readline()
        t_ready = time.perf_counter_ns()
        node.stdin.close()  # the end of stdin stops the node once the quote is in
        node.wait(60)
        seen = json.loads(peer.stdout.readline())
        peer.wait(10)
    if not ready.startswith("READY") or "0" not in seen:
        raise RuntimeError(f"ringbus live did not trade: {ready!r}, venue read {seen}")
    return {"durability": durability, "to_ready_ms": round((t_ready - t0) / 1e6, 1),
            "to_first_order_ms": round((seen["0"] - t0) / 1e6, 1)}


def _stage_table(probe: Probe, pushed: np.ndarray, seen: dict[int, int],
                 orders: list[int]) -> list[dict]:
    idx = np.array(orders)
    names = ["taken", "committing", "released", "fix journal commit", "encoded", "sent"]
    cols = [("pushed", pushed[idx], None)] + [
        (name, probe.stamps[name][idx], probe.stamps[name + "#cpu"][idx])
        for name in names if name in probe.stamps
    ] + [("read by venue", np.array([seen[i] for i in orders]), None)]
    rows = []
    for (a, ta, ca), (b, tb, cb) in zip(cols, cols[1:], strict=False):
        us = (tb - ta) / 1000
        rows.append({"leg": f"{a} -> {b}", "p50_us": _pct(us, 50), "p99_us": _pct(us, 99),
                     "node_cpu_p50_us": "-" if ca is None or cb is None
                     else _pct((cb - ca) / 1000, 50)})
    return rows


def _pct(values: np.ndarray, q: float) -> float:
    return round(float(np.percentile(values, q)), 1)


def _median_row(runs: list[dict]) -> dict:
    runs = sorted(runs, key=lambda r: r["p99_us"])
    row = dict(runs[len(runs) // 2])
    row["p99_runs_us"] = [r["p99_us"] for r in runs]
    return row


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=5000, help="quotes per run")
    p.add_argument("--every", type=int, default=10, help="an order every this many quotes")
    p.add_argument("--runs", type=int, default=3, help="runs per row (the median row reported)")
    p.add_argument("--rates", default="1000,10000", help="input rates per second")
    p.add_argument("--durability", default="batch,sync,sync:single",
                   help="comma-separated: batch, sync (LMDB's ordered commits), sync:single "
                        "(live.sync_commit = \"single\": one fdatasync apart from each commit)")
    p.add_argument("--wait", default="blocking",
                   help="the node thread's wait strategies, comma-separated "
                        "(blocking, yielding, busy-spin)")
    p.add_argument("--spin-us", type=float, default=2000.0,
                   help="spin budget of yielding / busy-spin (microseconds)")
    p.add_argument("--stages", action="store_true", help="print the per-leg breakdown")
    p.add_argument("--startup", action="store_true", help="measure ringbus live's startup")
    args = p.parse_args()
    if args.startup:
        rows = []
        for durability in args.durability.split(","):
            runs = sorted((startup(durability) for _ in range(args.runs)),
                          key=lambda r: r["to_first_order_ms"])
            rows.append(runs[len(runs) // 2])
        report("live_latency --startup: ringbus live spawned -> first NewOrderSingle read",
               rows, args.json)
        return
    rows = []
    for durability in args.durability.split(","):
        for rate in map(int, args.rates.split(",")):
            for wait in args.wait.split(","):
                row = _median_row([run(durability, rate, args.n, args.every, args.stages, wait,
                                       args.spin_us) for _ in range(args.runs)])
                stage_rows = row.pop("stages", None)
                rows.append(row)
                if stage_rows and not args.json:
                    report(f"stages: {durability} {rate}/s {wait} (median run)", stage_rows,
                           False)
    report("live_latency: quote into the live node's inbox -> NewOrderSingle read by the venue",
           rows, args.json)


if __name__ == "__main__":
    main()
