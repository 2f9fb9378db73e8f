"""Subprocess for the SIGKILL test: submits two orders at ordermatch, prints READY once the
venue acknowledged them, then waits to be killed. argv: port journal_path."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from adapters.fix.capabilities import VenueCapabilities
from adapters.fix.client import FixExecutionClient, OrderRequest
from adapters.fix.session import FixSession
from adapters.fix.store import SessionJournal
from domain.enums import OrderSide


def main() -> None:
    port, path = int(sys.argv[1]), Path(sys.argv[2])
    session = FixSession(SessionJournal(path), "127.0.0.1", port, "RINGBUS", "ORDERMATCH")
    client = FixExecutionClient(session, VenueCapabilities())
    session.start()
    client.submit(OrderRequest(1, 7, "MSFT.ORDERMATCH", OrderSide.BUY, 100, 10000))
    client.submit(OrderRequest(2, 7, "MSFT.ORDERMATCH", OrderSide.BUY, 50, 9000))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(o.status == "SUBMITTED" for o in client.open_orders()):
        time.sleep(0.01)
    print("READY", flush=True)
    time.sleep(60)


if __name__ == "__main__":
    main()
