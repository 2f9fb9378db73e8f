"""Order-to-wire latency of the FIX adapter: ``client.submit`` -> NewOrderSingle bytes read by
the peer socket, with the FIX_OUT record committed to the journal in between.

Topology: one process; the FIX session (adapters.fix) talks over loopback TCP to a minimal
acceptor thread that answers the Logon and timestamps each NewOrderSingle as it reads it
(``perf_counter_ns`` on both sides). Orders are paced at the requested rate. Durability
``batch`` commits each message without fsync; ``sync`` fsyncs each commit.

Not yet measured here: the live node's inbox -> kernel -> strategy leg of tick-to-order (the
live node is not built yet); this is the adapter's share of it.

    python perf/live_latency.py [--n 5000] [--json]
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import simplefix
from _common import parser, report

from adapters.fix.capabilities import VenueCapabilities
from adapters.fix.client import FixExecutionClient, OrderRequest
from adapters.fix.session import FixSession
from adapters.fix.store import SessionJournal
from domain.enums import OrderSide


class Peer(threading.Thread):
    """Accepts one session, answers its Logon, records the read time of each ClOrdID."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.seen: dict[int, int] = {}

    def run(self) -> None:
        conn, _ = self.server.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        fix = simplefix.FixParser()
        while data := conn.recv(1 << 16):
            now = time.perf_counter_ns()
            fix.append_buffer(data)
            while (msg := fix.get_message()) is not None:
                if msg.get(35) == b"A":
                    logon = simplefix.FixMessage()
                    for tag, value in ((8, b"FIX.4.2"), (35, b"A"), (49, b"V"), (56, b"RINGBUS"),
                                       (34, b"1"), (52, b"20260101-00:00:00"), (98, b"0"),
                                       (108, b"30")):
                        logon.append_pair(tag, value)
                    conn.sendall(logon.encode())
                elif msg.get(35) == b"D":
                    self.seen[int(msg.get(11))] = now


def run(durability: str, rate: int, n: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        peer = Peer()
        peer.start()
        session = FixSession(SessionJournal(Path(tmp) / "j", durability=durability),
                             "127.0.0.1", peer.port, "RINGBUS", "V")
        client = FixExecutionClient(session, VenueCapabilities())
        session.start()
        sent = np.zeros(n, dtype=np.int64)
        period_ns = 1_000_000_000 // rate
        start = time.perf_counter_ns()
        for i in range(n):
            due = start + i * period_ns
            while time.perf_counter_ns() < due:
                pass
            sent[i] = time.perf_counter_ns()
            client.submit(OrderRequest(i + 1, 1, "MSFT.V", OrderSide.BUY, 1, 10000))
        elapsed = time.perf_counter_ns() - start
        deadline = time.monotonic() + 10
        while len(peer.seen) < n and time.monotonic() < deadline:
            time.sleep(0.01)
        session._stopping.set()
        session.stop(timeout_s=0.5)
        session.journal.close()
        if len(peer.seen) < n:
            raise RuntimeError(f"peer read {len(peer.seen)} of {n} NewOrderSingles in time")
        lat_us = np.array([peer.seen[i + 1] - sent[i] for i in range(n)]) / 1000
        return {
            "durability": durability, "target_per_s": rate,
            "achieved_per_s": round(n / (elapsed / 1e9)), "n": n,
            "p50_us": round(float(np.percentile(lat_us, 50)), 1),
            "p99_us": round(float(np.percentile(lat_us, 99)), 1),
            "p99.9_us": round(float(np.percentile(lat_us, 99.9)), 1),
        }


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=5000, help="orders per row")
    args = p.parse_args()
    rows = [run(d, rate, args.n) for d in ("batch", "sync") for rate in (1_000, 10_000)]
    report("live_latency: submit -> NewOrderSingle on the socket", rows, args.json)


if __name__ == "__main__":
    main()
