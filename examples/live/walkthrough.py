"""Live FIX walkthrough against QuickFIX's ordermatch (run scripts/setup_ordermatch.sh first).

Starts ordermatch on a free 127.0.0.1 port, rests a sell order from a second FIX client, then
sends through the journaled FIX adapter: a limit buy that fills, an emulated market order, a
resting order modified by emulated cancel + new, and a GTC order denied before sending. Prints
the journal's records (FIX messages and order events) at the end.

    python examples/live/walkthrough.py [journal_dir]

The password comes from RINGBUS_FIX_PASSWORD (or none): it is sent in the Logon and never
journaled.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from adapters.fix.capabilities import VenueCapabilities  # noqa: E402
from adapters.fix.client import FixExecutionClient, OrderRequest  # noqa: E402
from adapters.fix.session import FixSession  # noqa: E402
from adapters.fix.store import SessionJournal  # noqa: E402
from adapters.fix.venue import SETUP_SCRIPT, OrdermatchVenue, find_ordermatch  # noqa: E402
from domain.enums import OrderSide, OrderType, TimeInForce  # noqa: E402
from journal import Journal, JournalReader  # noqa: E402
from replay.testing.pretty import format_stream  # noqa: E402
from tests.live.fixclient import LiquidityClient  # noqa: E402


def wait(predicate, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the venue did not answer in time")
        time.sleep(0.01)


def main() -> None:
    folder = find_ordermatch()
    if folder is None:
        sys.exit(f"ordermatch is not installed: run {SETUP_SCRIPT} (as root)")
    work = Path(tempfile.mkdtemp(prefix="ringbus-live-"))
    journal_path = Path(sys.argv[1]) if len(sys.argv) > 1 else work / "journal"
    with OrdermatchVenue(folder, work / "venue", ["RINGBUS", "LIQUIDITY"]) as venue:
        liquidity = LiquidityClient(venue.port)
        liquidity.limit("MSFT", "SELL", 100, "101.00")
        session = FixSession(SessionJournal(journal_path), "127.0.0.1", venue.port, "RINGBUS",
                             "ORDERMATCH", password=os.environ.get("RINGBUS_FIX_PASSWORD"))
        client = FixExecutionClient(session, VenueCapabilities())  # ordermatch: LIMIT, DAY
        session.start()
        orders = client.orders.orders

        client.submit(OrderRequest(1, 1, "MSFT.ORDERMATCH", OrderSide.BUY, 40, 10100))
        client.submit(OrderRequest(2, 1, "MSFT.ORDERMATCH", OrderSide.BUY, 60, None,
                                   order_type=OrderType.MARKET, reference_price=10100))
        client.submit(OrderRequest(3, 1, "MSFT.ORDERMATCH", OrderSide.BUY, 10, 9000))
        wait(lambda: orders[1].status == orders[2].status == "FILLED"
             and orders[3].status == "ACCEPTED")
        client.modify(3, quantity=20, price=9100)
        wait(lambda: orders[3].version == 1 and orders[3].status == "ACCEPTED")
        client.submit(OrderRequest(4, 1, "MSFT.ORDERMATCH", OrderSide.BUY, 10, 9000,
                                   time_in_force=TimeInForce.GTC))
        session.stop()
        session.journal.close()
        liquidity.close()
    for coid, order in sorted(orders.items()):
        print(f"order {coid}: {order.status} filled {order.cum_qty} of {order.quantity}")
    with Journal.open(journal_path) as journal:
        records = JournalReader(journal).records_between()
    print(f"\n{len(records)} records in {journal_path}:")
    print(format_stream(records))


if __name__ == "__main__":
    main()
