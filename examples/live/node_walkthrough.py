"""The live node walkthrough against QuickFIX's ordermatch (run scripts/setup_ordermatch.sh
first): ``ringbus live`` runs the DipBuyer strategy through the kernel and the FIX adapter.

Starts ordermatch on a free 127.0.0.1 port and a second FIX client (the other side of the
book), writes examples/live/live.toml with that port, starts ``ringbus live --quotes-stdin``,
feeds it quotes, lets the venue fill the strategy's bid and its take-profit offer, stops the
node with SIGINT, then runs ``ringbus verify --reexecute`` and ``ringbus trace`` on the journal.

    python examples/live/node_walkthrough.py [work_dir]
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from adapters.fix.venue import SETUP_SCRIPT, OrdermatchVenue, find_ordermatch  # noqa: E402
from domain.kinds import Kind  # noqa: E402
from journal import Journal, JournalReader  # noqa: E402
from tests.live.fixclient import LiquidityClient  # noqa: E402


def ringbus(*args: str, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.setdefault("RINGBUS_FIX_PASSWORD", "walkthrough-password")
    return subprocess.Popen([sys.executable, "-m", "replay.cli", *args], cwd=ROOT, env=env,
                            text=True, **kw)


def kinds(journal: Path) -> list[str]:
    with Journal.open(journal) as j:
        return [Kind(k).name for k in JournalReader(j).records_between()["kind"].tolist()]


def wait_for(journal: Path, kind: str, n: int, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (journal / "data.mdb").exists() and kinds(journal).count(kind) >= n:
            return
        time.sleep(0.1)
    raise TimeoutError(f"{n} x {kind} not journaled in {timeout_s} s")


def main() -> None:
    folder = find_ordermatch()
    if folder is None:
        sys.exit(f"ordermatch is not installed: run {SETUP_SCRIPT} (as root)")
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="ringbus-"))
    journal = work / "live"
    with OrdermatchVenue(folder, work / "venue", ["RINGBUS", "LIQUIDITY"]) as venue:
        config = (ROOT / "examples" / "live" / "live.toml").read_text()
        config = re.sub(r"(?m)^port = \d+", f"port = {venue.port}", config)
        config = re.sub(r'(?m)^journal = ".*"', f'journal = "{journal}"', config)
        (work / "live.toml").write_text(config)
        liquidity = LiquidityClient(venue.port)
        node = ringbus("live", "--config", str(work / "live.toml"), "--quotes-stdin",
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        print(node.stdout.readline().strip())                       # READY <journal>
        node.stdin.write("MSFT.ORDERMATCH 100.00 100.10 500 500\n")  # DipBuyer bids 99.95
        node.stdin.flush()
        wait_for(journal, "ORDER_ACCEPTED", 1)
        liquidity.limit("MSFT", "SELL", 10, "99.95")                # fills the bid
        wait_for(journal, "ORDER_ACCEPTED", 2)                      # its offer at 100.05
        liquidity.limit("MSFT", "BUY", 10, "100.05")                # takes the offer
        wait_for(journal, "POSITION_CLOSED", 1)
        node.send_signal(signal.SIGINT)
        print(node.communicate(timeout=60)[0].strip())
        liquidity.close()
    names = kinds(journal)
    print(f"{len(names)} records: " + ", ".join(
        f"{k} x{names.count(k)}" for k in ("QUOTE", "SUBMIT_ORDER", "ORDER_ACCEPTED",
                                           "ORDER_FILLED", "POSITION_CLOSED", "RUN_ENDED")))
    verify = ringbus("verify", str(journal), "--reexecute", "--trust-journal-code",
                     stdout=subprocess.PIPE)
    print(verify.communicate(timeout=120)[0].strip())
    with Journal.open(journal) as j:
        records = JournalReader(j).records_between()
    last_fill = int(records[records["kind"] == Kind.ORDER_FILLED]["seq"][-1])
    trace = ringbus("trace", str(journal), "--seq", str(last_fill), stdout=subprocess.PIPE)
    print(trace.communicate(timeout=60)[0].strip())
    sys.exit(verify.returncode)


if __name__ == "__main__":
    main()
