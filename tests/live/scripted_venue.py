"""A scripted FIX acceptor for session-protocol tests: the test decides every message it sends.

It is the counterparty, not the thing under test: the session under test is adapters.fix's.
"""

from __future__ import annotations

import socket
import time

import simplefix


class ScriptedVenue:
    """Listens on 127.0.0.1 (free port); ``accept`` takes the next connection."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.conn: socket.socket | None = None
        self.parser = simplefix.FixParser()
        self.seq = 1

    def accept(self, timeout_s: float = 5.0) -> None:
        self.server.settimeout(timeout_s)
        self.conn, _ = self.server.accept()
        self.parser = simplefix.FixParser()

    def send(self, msg_type: bytes, body: list[tuple[int, bytes]] = (), seq: int | None = None,
             poss_dup: bool = False) -> None:
        self.conn.sendall(self.encode(msg_type, body, seq, poss_dup))

    def encode(self, msg_type: bytes, body: list[tuple[int, bytes]] = (), seq: int | None = None,
               poss_dup: bool = False) -> bytes:
        """The next message's bytes (the sequence number moves as for ``send``)."""
        msg = simplefix.FixMessage()
        msg.append_pair(8, b"FIX.4.2", header=True)
        msg.append_pair(35, msg_type, header=True)
        msg.append_pair(49, b"ORDERMATCH", header=True)
        msg.append_pair(56, b"RINGBUS", header=True)
        msg.append_pair(34, self.seq if seq is None else seq, header=True)
        msg.append_utc_timestamp(52, header=True)
        if poss_dup:
            msg.append_pair(43, b"Y", header=True)
        for tag, value in body:
            msg.append_pair(tag, value)
        if seq is None:
            self.seq += 1
        return msg.encode()

    def receive(self, timeout_s: float = 5.0) -> simplefix.FixMessage | None:
        """Returns the next message, or None when the connection closed or time ran out."""
        deadline = time.monotonic() + timeout_s
        while (msg := self.parser.get_message()) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.conn.settimeout(remaining)
            try:
                data = self.conn.recv(65536)
            except (TimeoutError, OSError):
                return None
            if not data:
                return None
            self.parser.append_buffer(data)
        return msg

    def expect(self, msg_type: bytes, timeout_s: float = 5.0) -> simplefix.FixMessage:
        """Returns the next message of ``msg_type``, skipping others; fails after the timeout."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            msg = self.receive(deadline - time.monotonic())
            if msg is None:
                break
            if msg.get(35) == msg_type:
                return msg
        raise AssertionError(f"no 35={msg_type.decode()} received")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.server.close()
