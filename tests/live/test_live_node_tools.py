"""The journal tools on a live node's journal, as on a backtest's: ``verify --reexecute``,
``replay --to-time``, ``trace`` (a venue fill back to the quote that caused its order) and
``diff``; and opening a live journal never connects to the venue."""

from __future__ import annotations

import json
import os
import socket
import time

import pytest

from adapters.fix.venue import OrdermatchVenue
from domain.kinds import Kind
from replay.nodes.live import LiveNode
from tests.live.conftest import CLIENTS, ordermatch_folder
from tests.live.fixclient import LiquidityClient
from tests.live.live_rig import (
    PASSWORD,
    PASSWORD_ENV,
    SYMBOL,
    cli,
    journal_records,
    live_raw,
    quote,
    wait_until,
)


@pytest.fixture(scope="module")
def live_run(tmp_path_factory) -> dict:
    """A live journal: quote 1 (nothing), quote 2 (a BUY 10 @ 10.00 that fills)."""
    folder = ordermatch_folder()
    base = tmp_path_factory.mktemp("live-tools")
    os.environ[PASSWORD_ENV] = PASSWORD
    with OrdermatchVenue(folder, base / "venue", CLIENTS) as venue:
        liquidity = LiquidityClient(venue.port)
        liquidity.limit("MSFT", "SELL", 10, "10.00")
        node = LiveNode(live_raw(venue.port, base / "live", [
            {"at": 2, "do": "limit", "side": "BUY", "qty": "10", "price": "10.00"}])).start()
        iid = node.instrument_id(SYMBOL)
        node.push(quote(iid, "9.98", "10.01"))
        time.sleep(0.05)
        node.push(quote(iid, "9.99", "10.00"))
        wait_until(lambda: any(o.status.name == "FILLED"
                               for o in node.kernel.ctx.cache.trading.orders.values()),
                   what="the fill")
        node.stop()
        liquidity.close()
        port = venue.port
    return {"journal": base / "live", "port": port, "base": base}


def _seq(records, kind: int, nth: int = 0) -> int:
    return int(records[records["kind"] == kind]["seq"][nth])


def test_verify_reexecute_on_a_live_journal_reports_no_divergence(live_run):
    result = cli("verify", str(live_run["journal"]), "--reexecute", "--trust-journal-code")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "diverge" not in result.stdout


def test_trace_walks_a_venue_fill_back_to_the_quote_that_caused_the_order(live_run):
    records = journal_records(live_run["journal"])
    fill = _seq(records, Kind.ORDER_FILLED)
    result = cli("trace", str(live_run["journal"]), "--seq", str(fill), "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["record"]["kind_name"] == "ORDER_FILLED"
    kinds = [r["kind_name"] for r in doc["chain"]]
    assert kinds[0] == "SUBMIT_ORDER", kinds
    assert kinds[-1] == "QUOTE" and doc["chain"][-1]["seq"] == _seq(records, Kind.QUOTE, 1)


def test_replay_to_time_on_a_live_journal_shows_the_state_before_the_fill(live_run):
    records = journal_records(live_run["journal"])
    fill_ts = int(records[records["kind"] == Kind.ORDER_FILLED]["ts_init"][0])
    before = cli("replay", str(live_run["journal"]), "--to-time", str(fill_ts - 1), "--json")
    after = cli("replay", str(live_run["journal"]), "--to-time", str(fill_ts), "--json")
    assert before.returncode == 0 and after.returncode == 0, before.stderr + after.stderr
    b, a = json.loads(before.stdout), json.loads(after.stdout)
    assert b["seq"] < _seq(records, Kind.ORDER_FILLED) <= a["seq"]
    assert len(b["positions"]) == 0 and len(a["positions"]) == 1


def test_diff_of_a_live_journal_and_its_reexecution_finds_no_difference(live_run, tmp_path):
    from replay.reexecute import reexecute

    out = tmp_path / "reexecuted"
    reexecute(live_run["journal"], out=out, trust_code=True)
    result = cli("diff", str(live_run["journal"]), str(out), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["identical"] is True


def test_opening_a_live_journal_never_connects_to_the_venue(live_run):
    from replay.reexecute import reexecute

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", live_run["port"]))  # where the venue was
    listener.listen()
    listener.settimeout(0.5)
    try:
        assert reexecute(live_run["journal"], trust_code=True).ok
        assert cli("replay", str(live_run["journal"]), "--json").returncode == 0
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()
