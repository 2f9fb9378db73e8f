"""A small FIX 4.2 client for the tests: the other side of ordermatch's book.

Deliberately independent of adapters.fix (no journal, no resend): it logs on, sends limit
orders and collects the execution reports it gets back.
"""

from __future__ import annotations

import contextlib
import socket
import time

import simplefix


class LiquidityClient:
    """Rests and takes liquidity at ordermatch as CompID ``sender``."""

    def __init__(self, port: int, sender: str = "LIQUIDITY", target: str = "ORDERMATCH") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sender, self.target = sender, target
        self.seq = 1
        self.parser = simplefix.FixParser()
        self.reports: list[simplefix.FixMessage] = []
        self._send(b"A", [(98, b"0"), (108, b"30")])
        self._wait(lambda m: m.get(35) == b"A", 5.0)
        self._next_id = 1

    def _send(self, msg_type: bytes, body: list[tuple[int, bytes]]) -> None:
        msg = simplefix.FixMessage()
        msg.append_pair(8, b"FIX.4.2", header=True)
        msg.append_pair(35, msg_type, header=True)
        msg.append_pair(49, self.sender, header=True)
        msg.append_pair(56, self.target, header=True)
        msg.append_pair(34, self.seq, header=True)
        msg.append_utc_timestamp(52, header=True)
        for tag, value in body:
            msg.append_pair(tag, value)
        self.seq += 1
        self.sock.sendall(msg.encode())

    def _wait(self, match, timeout_s: float) -> simplefix.FixMessage:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            msg = self.parser.get_message()
            if msg is None:
                self.sock.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    data = self.sock.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    break
                self.parser.append_buffer(data)
                continue
            if msg.get(35) == b"1":  # TestRequest
                self._send(b"0", [(112, msg.get(112))])
            if msg.get(35) == b"8":
                self.reports.append(msg)
            if match(msg):
                return msg
        raise TimeoutError("expected FIX message not received")

    def limit(self, symbol: str, side: str, qty: int, price: str) -> str:
        """Rests (or takes) a DAY limit order; returns its ClOrdID once the venue acks it."""
        cl_ord_id = f"L{self._next_id}"
        self._next_id += 1
        self._send(b"D", [(11, cl_ord_id.encode()), (21, b"1"), (55, symbol.encode()),
                          (54, b"1" if side == "BUY" else b"2"), (38, str(qty).encode()),
                          (40, b"2"), (44, price.encode()), (59, b"0")])
        self._wait(lambda m: m.get(11) == cl_ord_id.encode() and m.get(150) in (b"0", b"8"), 5.0)
        return cl_ord_id

    def wait_fill(self, cl_ord_id: str, timeout_s: float = 5.0) -> simplefix.FixMessage:
        """Returns the venue's fill ExecutionReport (ExecType 2) of ``cl_ord_id``."""
        for msg in self.reports:
            if msg.get(11) == cl_ord_id.encode() and msg.get(150) == b"2":
                return msg
        return self._wait(lambda m: m.get(11) == cl_ord_id.encode() and m.get(150) == b"2",
                          timeout_s)

    def close(self) -> None:
        self._send(b"5", [])
        with contextlib.suppress(TimeoutError):
            self._wait(lambda m: m.get(35) == b"5", 2.0)
        self.sock.close()
