"""Tick-to-order latency of the live path: a quote pushed into the live inbox -> the node thread
(journal, kernel fold, strategy, risk, commit, outbound release) -> the FIX adapter (FIX_OUT
committed, encoded) -> NewOrderSingle bytes read by the venue-side socket.

Topology: the node is assembled from the live node's parts — a :class:`engines.kernel.Kernel`
journaled by a real LMDB :class:`journal.JournalWriter` in a tmp dir, driven by
:meth:`replay.nodes.driver.NodeDriver.feed_live` over a :class:`replay.nodes.inputs.LiveInbox`
with the wall clock, the FIX adapter (:mod:`adapters.fix`, its own journal) registered as the
kernel's external execution client. A producer thread (the market-data adapter's place) pushes
one quote per period (sleeping between, as a socket reader blocks); the strategy buys a limit
order on every ``--every``-th quote (priced at the quote's bid, which encodes the quote's
index). The venue side is a separate process (a minimal FIX acceptor: answers the Logon,
timestamps each NewOrderSingle as it reads it) so its timestamps do not wait for this process's
GIL; both sides read ``perf_counter_ns`` (CLOCK_MONOTONIC, one clock for the machine).
QuickFIX ordermatch is not used: it adds its own matching and logging latency per order.

Durability ``batch``: the kernel journal commits once per inbox take (no fsync on the path;
fsync within 100 ms on a background thread), the FIX journal commits each message the same way;
``sync``: every commit is fsynced (group commit: one per take, plus one per FIX message).

``--stages`` also prints where the time goes per order (medians and p99 of each leg).

    python perf/live_latency.py [--n 5000] [--every 10] [--runs 3] [--stages] [--json]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import parser, report

from adapters.fix.capabilities import VenueCapabilities
from adapters.fix.client import FixExecutionClient, OrderRequest
from adapters.fix.session import FixSession
from adapters.fix.store import SessionJournal
from domain.codec import encode
from domain.enums import OrderSide, RecordFlag
from domain.instruments import Instrument
from domain.kinds import KIND_DTYPES, Kind
from engines.cache import Cache
from engines.data_engine import DataEngine
from engines.execution import ExecutionEngine
from engines.kernel import Kernel
from engines.risk import RiskEngine
from engines.strategy import Strategy
from journal import JournalWriter
from replay.nodes.driver import NodeDriver
from replay.nodes.inputs import LiveInbox, WallClock

SYMBOL = "EUR/USD.V"
BASE_BID = 100_000  # raw bid of quote 0 at precision 5; quote i has bid BASE_BID + i

# The venue side, run as its own process: prints its port, then one JSON line of
# {quote index: perf_counter_ns when its NewOrderSingle was read} after the client's Logout.
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
            seen[round(float(msg.get(44)) * 1e5) - BASE_BID] = now
            reply(b"8", (11, msg.get(11)), (37, msg.get(11)), (17, msg.get(11)), (150, b"8"),
                  (39, b"8"), (55, msg.get(55)), (54, msg.get(54)), (14, b"0"), (151, b"0"),
                  (58, b"benchmark venue: rejected"))
        elif t == b"5":
            reply(b"5")
            done = True
print(json.dumps(seen), flush=True)
""".replace("BASE_BID", str(BASE_BID))


class OrderOnQuote(Strategy):
    """Buys 1 at the bid on every ``every``-th quote."""

    def __init__(self, every: int) -> None:
        super().__init__("order_on_quote")
        self.every = every
        self.n = 0

    def on_start(self) -> None:
        self.subscribe_quotes(SYMBOL)

    def on_quote(self, quote: Any) -> None:
        if self.n % self.every == 0:
            self.submit_order(self.order_factory.limit(
                SYMBOL, OrderSide.BUY, 1, quote.bid))
        self.n += 1


class FixBridge:
    """The kernel's external execution client for venue V: each committed SUBMIT_ORDER becomes
    a NewOrderSingle through the FIX adapter (what the live node wires, reduced to submit)."""

    venue = "V"

    def __init__(self, kernel: Kernel, client: FixExecutionClient, probe: Probe) -> None:
        self.account_id = kernel.intern("V-001")
        self.kernel, self.client, self.probe = kernel, client, probe
        self.inbox: LiveInbox | None = None
        self._refs: dict[int, tuple[int, int]] = {}  # coid -> kernel (instrument, strategy) ids
        on_app = client.session.on_app

        def answered(record: np.ndarray, msg: Any) -> None:
            """Session thread: the venue's answer becomes an INPUT record of the node."""
            on_app(record, msg)
            coid = int(record.view(KIND_DTYPES[Kind.FIX_IN])["client_order_id"][0])
            if msg.get(150) == b"8" and self.inbox is not None and coid in self._refs:
                iid, strategy_id = self._refs.pop(coid)
                self.inbox.push(encode(Kind.ORDER_REJECTED, client_order_id=coid,
                                       instrument_id=iid, strategy_id=strategy_id))

        client.session.on_app = answered

    def submit(self, cmd: Any) -> None:
        order = self.kernel.ctx.cache.order(cmd.client_order_id)
        self.probe.current = order.price_raw - BASE_BID
        self.probe.mark("released")
        self._refs[cmd.client_order_id] = (order.instrument_id, order.strategy_id)
        self.client.submit(OrderRequest(
            cmd.client_order_id, order.strategy_id, SYMBOL, OrderSide(int(order.side)),
            order.quantity_raw, order.price_raw, price_precision=order.price_precision,
            size_precision=order.size_precision))

    def _refuse(self, *args: Any) -> None:
        raise NotImplementedError("the benchmark only submits")

    submit_order_list = modify = cancel = cancel_all = _refuse


class Probe:
    """Stage timestamps per quote index (``perf_counter_ns``), written on the node thread."""

    def __init__(self, n: int) -> None:
        self.current = -1
        self.stamps: dict[str, np.ndarray] = {}
        self.n = n

    def mark(self, stage: str, index: int | None = None) -> None:
        """Stamps the wall clock and this thread's CPU clock (``stage#cpu``)."""
        i = self.current if index is None else index
        for name, clock in ((stage, time.perf_counter_ns), (stage + "#cpu", time.thread_time_ns)):
            col = self.stamps.get(name)
            if col is None:
                col = self.stamps[name] = np.zeros(self.n, dtype=np.int64)
            col[i] = clock()


def build_kernel(path: Path, durability: str, every: int) -> Kernel:
    writer = JournalWriter(path, durability=durability, fsync_behind=durability == "batch")
    kernel = Kernel(capacity=1 << 14, journal=writer)
    kernel.register(Cache())
    kernel.register(DataEngine())
    execution = kernel.register(ExecutionEngine())
    kernel.register(RiskEngine(execution))
    kernel.register(OrderOnQuote(every))
    kernel.publish_setup()
    return kernel


def start_kernel(kernel: Kernel) -> int:
    iid = kernel.intern(SYMBOL)
    now = time.time_ns()
    inst = Instrument.fx_pair(SYMBOL, size_precision=0)
    kernel.publish_one(encode(Kind.INSTRUMENT, ts_init=now, ts_event=now,
                              flags=int(RecordFlag.INPUT), **inst.to_fields(iid))[0])
    kernel.start()
    return iid


def quote(iid: int, i: int) -> np.ndarray:
    rec = np.zeros(1, dtype=KIND_DTYPES[Kind.QUOTE])
    rec["kind"] = int(Kind.QUOTE)
    rec["instrument_id"] = iid
    rec["price_precision"] = 5
    rec["bid"] = BASE_BID + i
    rec["ask"] = BASE_BID + i + 10
    rec["bid_size"] = rec["ask_size"] = 1_000_000
    return rec


def run(durability: str, rate: int, n: int, every: int, stages: bool) -> dict:
    """One run: ``n`` quotes at ``rate`` per second; returns the latency row (and stages)."""
    peer = subprocess.Popen([sys.executable, "-c", PEER], stdout=subprocess.PIPE, text=True)
    port = int(peer.stdout.readline())
    with tempfile.TemporaryDirectory() as tmp:
        kernel = build_kernel(Path(tmp) / "node", durability, every)
        session = FixSession(SessionJournal(Path(tmp) / "fix", durability=durability),
                             "127.0.0.1", port, "RINGBUS", "V")
        probe = Probe(n)
        bridge = FixBridge(kernel, FixExecutionClient(session, VenueCapabilities()), probe)
        kernel.register_external_client(bridge)
        iid = start_kernel(kernel)
        session.start()
        inbox = bridge.inbox = LiveInbox(WallClock())
        if stages:
            _instrument(kernel, session, inbox, probe)
        pushed = np.zeros(n, dtype=np.int64)
        node = threading.Thread(target=NodeDriver(kernel, 1, 1).feed_live, args=(inbox,),
                                name="node")
        node.start()
        period_ns = 1_000_000_000 // rate
        start = time.perf_counter_ns()
        for i in range(n):
            rec = quote(iid, i)
            due = start + i * period_ns
            if (wait := due - time.perf_counter_ns()) > 0:
                time.sleep(wait / 1e9)
            pushed[i] = time.perf_counter_ns()
            inbox.push(rec)
        elapsed = time.perf_counter_ns() - start
        deadline = time.monotonic() + 5  # the venue's last answers come back as inputs
        while bridge._refs and time.monotonic() < deadline:
            time.sleep(0.01)
        inbox.close()
        node.join()
        open_orders = len(kernel.ctx.cache.trading.orders_open)
        kernel.stop()
        session.stop(timeout_s=2)
        seen = {int(k): v for k, v in json.loads(peer.stdout.readline()).items()}
        peer.wait(5)
        session.journal.close()
        kernel.journal.close()
    orders = range(0, n, every)
    missing = [i for i in orders if i not in seen]
    if missing:
        raise RuntimeError(f"the venue read {len(seen)} of {len(orders)} NewOrderSingles "
                           f"(first missing: quote {missing[0]})")
    lat_us = np.array([seen[i] - pushed[i] for i in orders]) / 1000
    row = {
        "durability": durability, "inputs_per_s": rate,
        "achieved_per_s": round(n / (elapsed / 1e9)), "orders": len(orders),
        "open_at_end": open_orders, "p50_us": _pct(lat_us, 50), "p99_us": _pct(lat_us, 99), "p99.9_us": _pct(lat_us, 99.9),
    }
    if stages:
        row["stages"] = _stage_table(probe, pushed, seen, list(orders))
    return row


def _instrument(kernel: Kernel, session: FixSession, inbox: LiveInbox, probe: Probe) -> None:
    """Wraps the node's seams to stamp each order's stages (``--stages`` only)."""
    take = inbox.take

    def stamped_take(timeout_s: float) -> Any:
        taken = take(timeout_s)
        if taken is not None:
            quotes = taken[0][taken[0]["kind"] == Kind.QUOTE]
            for i in (quotes.view(KIND_DTYPES[Kind.QUOTE])["bid"] - BASE_BID).tolist():
                probe.mark("taken", i)
        return taken

    inbox.take = stamped_take  # type: ignore[method-assign]
    writer = session.journal.writer
    fix_commit = writer.commit

    def stamped_fix_commit() -> int:
        if probe.current >= 0 and not probe.stamps.get("fix_commit_start", [0] * probe.n)[probe.current]:
            probe.mark("fix_commit_start")
        return fix_commit()

    writer.commit = stamped_fix_commit  # type: ignore[method-assign]
    write = session._write

    def stamped_write(data: bytes) -> None:
        probe.mark("encoded")
        write(data)
        probe.mark("sent")

    session._write = stamped_write  # type: ignore[method-assign]
    journal = kernel.journal
    commit = journal.commit

    def stamped_commit() -> int:
        for i in _held_indices(kernel):
            probe.mark("commit_start", i)
        return commit()

    journal.commit = stamped_commit  # type: ignore[method-assign]


def _held_indices(kernel: Kernel) -> list[int]:
    out = []
    for _, _, args in kernel.outbound.held:
        order = kernel.ctx.cache.order(args[0].client_order_id)
        out.append(order.price_raw - BASE_BID)
    return out


def _stage_table(probe: Probe, pushed: np.ndarray, seen: dict[int, int],
                 orders: list[int]) -> list[dict]:
    idx = np.array(orders)
    wire = np.array([seen[i] for i in orders])
    cols = [("pushed", pushed[idx])] + [
        (name, probe.stamps[name][idx]) for name in
        ("taken", "commit_start", "released", "fix_commit_start", "encoded", "sent") if name in probe.stamps
    ] + [("read by venue", wire)]
    rows = []
    for (a, ta), (b, tb) in zip(cols, cols[1:], strict=False):
        us = (tb - ta) / 1000
        row = {"leg": f"{a} -> {b}", "p50_us": _pct(us, 50), "p99_us": _pct(us, 99)}
        if a + "#cpu" in probe.stamps and b + "#cpu" in probe.stamps:  # both on the node thread
            cpu = (probe.stamps[b + "#cpu"][idx] - probe.stamps[a + "#cpu"][idx]) / 1000
            row["node_cpu_p50_us"] = _pct(cpu, 50)
        else:
            row["node_cpu_p50_us"] = "-"
        rows.append(row)
    return rows


def _pct(values: np.ndarray, q: float) -> float:
    return round(float(np.percentile(values, q)), 1)


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=5000, help="quotes per run")
    p.add_argument("--every", type=int, default=10, help="an order every this many quotes")
    p.add_argument("--runs", type=int, default=3, help="runs per row (the median row reported)")
    p.add_argument("--rates", default="1000,10000", help="input rates per second")
    p.add_argument("--durability", default="batch,sync")
    p.add_argument("--stages", action="store_true", help="print the per-leg breakdown")
    args = p.parse_args()
    rows = []
    for durability in args.durability.split(","):
        for rate in map(int, args.rates.split(",")):
            runs = [run(durability, rate, args.n, args.every, args.stages)
                    for _ in range(args.runs)]
            runs.sort(key=lambda r: r["p99_us"])
            row = dict(runs[len(runs) // 2])
            row["p99_runs_us"] = [r["p99_us"] for r in runs]
            stage_rows = row.pop("stages", None)
            rows.append(row)
            if stage_rows and not args.json:
                report(f"stages: {durability} {rate}/s (median run)", stage_rows, False)
    report("live_latency: quote into the inbox -> NewOrderSingle read by the venue", rows,
           args.json)


if __name__ == "__main__":
    main()
