"""Session recovery: dropped connections, resend both ways, SIGKILL and restart from the journal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

from adapters.fix import codes
from adapters.fix.audit import event_divergences
from adapters.fix.client import OrderRequest
from adapters.fix.orders import STATUSES
from domain.codec import as_kind
from domain.enums import OrderSide
from domain.kinds import Kind
from journal import Journal, JournalReader
from tests.live.conftest import PASSWORD, wait_until

ROOT = Path(__file__).resolve().parents[2]


def buy(coid: int, qty: int, price: int) -> OrderRequest:
    return OrderRequest(coid, 7, "MSFT.ORDERMATCH", OrderSide.BUY, qty, price)


def test_fills_while_disconnected_arrive_by_resend_after_reconnecting(rig, liquidity):
    client = rig.start()
    client.submit(buy(1, 100, 10000))
    wait_until(lambda: client.orders.orders[1].status == "ACCEPTED")
    rig.session.backoff_s = (0.5, 0.5)
    rig.session.drop_connection()
    wait_until(lambda: not rig.session.logged_on.is_set())
    liquidity.limit("MSFT", "SELL", 100, "100.00")  # fills our order while we are away
    wait_until(lambda: client.orders.orders[1].status == "FILLED")
    rig.stop()
    assert rig.session is None and client.session.connections == 2
    ins = as_kind(rig.events(Kind.FIX_IN), Kind.FIX_IN)
    fill = [r for r in ins if int(r["exec_type"]) == ord("2")]
    assert len(fill) == 1 and int(fill[0]["poss_dup"]) == 1  # it came as a resend
    outs = as_kind(rig.events(Kind.FIX_OUT), Kind.FIX_OUT)
    assert codes.RESEND_REQUEST in {codes.unpack_msg_type(int(r["msg_type"])) for r in outs}
    recs = as_kind(rig.events(Kind.FIX_RECONCILED), Kind.FIX_RECONCILED)
    assert [(int(r["connection"]), int(r["cum_qty_after"])) for r in recs] == [(2, 100)]


def test_an_order_sent_while_disconnected_is_resent_on_the_venues_resend_request(rig, ordermatch):
    client = rig.start()
    rig.session.backoff_s = (0.5, 0.5)
    rig.session.drop_connection()
    wait_until(lambda: not rig.session.logged_on.is_set())
    client.submit(buy(1, 10, 5000))  # journaled; the bytes have nowhere to go
    wait_until(lambda: client.orders.orders[1].status == "ACCEPTED")
    rig.stop()
    log = ordermatch.log_text()
    assert "35=2" in log.replace("\x01", "")  # the venue asked for what it missed
    assert "43=Y" in log.replace("\x01", "")  # and got the order as a possible duplicate


def test_a_restarted_session_resumes_its_sequence_numbers_from_the_journal(rig, ordermatch):
    rig.start()
    rig.stop()
    first_out = rig.events(Kind.FIX_OUT)
    rig.start()
    rig.stop()
    outs = as_kind(rig.events(Kind.FIX_OUT), Kind.FIX_OUT)
    seqs = [int(r["msg_seq_num"]) for r in outs]
    assert seqs == list(range(1, len(seqs) + 1))  # no reset, no reuse
    assert len(seqs) > len(first_out)
    assert "MsgSeqNum too low" not in ordermatch.log_text()


def test_the_password_goes_on_the_wire_but_never_into_the_journal(rig, ordermatch):
    rig.start()
    rig.stop()
    assert PASSWORD in ordermatch.log_text()  # the venue got it in the Logon
    for f in (p for p in rig.journal_path.rglob("*") if p.is_file()):
        assert PASSWORD.encode() not in f.read_bytes(), f


def test_sigkill_and_restart_lose_no_order_and_send_none_twice(rig, ordermatch, liquidity):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.live.live_proc", str(ordermatch.port), str(rig.journal_path)],
        stdout=subprocess.PIPE, cwd=ROOT, env=env)
    try:
        assert proc.stdout.readline().strip() == b"READY"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    liquidity.limit("MSFT", "SELL", 60, "100.00")  # partially fills order 1 while the node is dead
    client = rig.start()
    wait_until(lambda: client.orders.orders[1].cum_qty == 60)
    rig.stop()
    order1, order2 = client.orders.orders[1], client.orders.orders[2]
    assert (order1.status, order1.cum_qty, order1.leaves_qty) == ("PARTIALLY_FILLED", 60, 40)
    assert (order2.status, order2.cum_qty) == ("ACCEPTED", 0)
    log = ordermatch.log_text().replace("\x01", "|")
    incoming_new = [line for line in log.splitlines() if "|35=D|" in line and "RINGBUS" in line
                    and "|43=Y|" not in line]
    assert len(incoming_new) == 2  # one NewOrderSingle per ClOrdID, none re-sent as new
    subs = as_kind(rig.events(Kind.ORDER_SUBMITTED), Kind.ORDER_SUBMITTED)
    assert sorted(int(r["client_order_id"]) for r in subs) == [1, 2]
    recs = as_kind(rig.events(Kind.FIX_RECONCILED), Kind.FIX_RECONCILED)
    assert [(int(r["client_order_id"]), STATUSES[int(r["status_before"])],
             STATUSES[int(r["status_after"])], int(r["cum_qty_before"]),
             int(r["cum_qty_after"])) for r in recs] == [
        (1, "ACCEPTED", "PARTIALLY_FILLED", 0, 60)]  # order 2 agreed: no record


def test_the_order_events_of_a_live_journal_are_re_derived_from_its_fix_records(rig, liquidity):
    client = rig.start()
    client.submit(buy(1, 100, 10000))
    client.submit(buy(2, 10, 9000))
    wait_until(lambda: client.orders.orders[2].status == "ACCEPTED")
    liquidity.limit("MSFT", "SELL", 30, "100.00")
    client.modify(2, quantity=20, price=9100)
    wait_until(lambda: client.orders.orders[1].cum_qty == 30
               and client.orders.orders[2].version == 1)
    client.cancel(1)
    wait_until(lambda: client.orders.orders[1].status == "CANCELED")
    rig.stop()
    records = rig.events(Kind.FIX_IN)  # sanity: the journal has inbound FIX records
    assert len(records) > 5
    with Journal.open(rig.journal_path) as journal:
        everything = JournalReader(journal).records_between()
    assert event_divergences(everything) == []
    # and a tampered event is reported with its cause's seq
    fills = np.flatnonzero(everything["kind"] == Kind.ORDER_FILLED)
    as_kind(everything[fills[0] : fills[0] + 1], Kind.ORDER_FILLED)["last_qty"] = 31
    cause = int(everything["cause"][fills[0]])
    assert event_divergences(everything) == [
        f"seq {cause}: FIX_IN derives ['ORDER_FILLED'], journal has ['ORDER_FILLED']"]
