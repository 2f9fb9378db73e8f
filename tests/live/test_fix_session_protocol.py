"""The FIX session protocol against a scripted acceptor (needs no venue install)."""

from __future__ import annotations

import threading
import time

import pytest

from adapters.fix import codes
from adapters.fix.capabilities import VenueCapabilities
from adapters.fix.client import FixExecutionClient, OrderRequest
from adapters.fix.session import FixSession
from adapters.fix.store import SessionJournal
from domain.enums import OrderSide
from domain.kinds import Kind
from journal import Journal, JournalReader
from tests.live.scripted_venue import ScriptedVenue


@pytest.fixture
def venue():
    v = ScriptedVenue()
    yield v
    v.close()


def logged_on_session(venue: ScriptedVenue, tmp_path, heartbeat_s: int = 30) -> FixSession:
    session = FixSession(SessionJournal(tmp_path / "j"), "127.0.0.1", venue.port, "RINGBUS",
                         "ORDERMATCH", heartbeat_s=heartbeat_s, backoff_s=(0.05, 0.05))
    starter = threading.Thread(target=session.start)
    starter.start()
    venue.accept()
    logon = venue.expect(codes.LOGON)
    assert logon.get(108) == str(heartbeat_s).encode()
    venue.send(codes.LOGON, [(98, b"0"), (108, logon.get(108))])
    starter.join(5)
    return session


def close(session: FixSession) -> None:
    session._stopping.set()
    session.stop(timeout_s=0.5)
    session.journal.close()


def test_a_quiet_venue_gets_heartbeats_then_a_test_request_then_a_reconnect(venue, tmp_path):
    session = logged_on_session(venue, tmp_path, heartbeat_s=1)
    assert venue.expect(codes.HEARTBEAT, 3).get(34) == b"2"
    assert venue.expect(codes.TEST_REQUEST, 3).get(112) == b"TEST"
    venue.accept(5)  # no answer: the session drops the connection and logs on again
    assert venue.expect(codes.LOGON).get(34).isdigit()
    assert session.connections == 2
    close(session)


def test_a_test_request_is_answered_with_a_heartbeat_naming_it(venue, tmp_path):
    session = logged_on_session(venue, tmp_path)
    venue.send(codes.TEST_REQUEST, [(112, b"ping-7")])
    assert venue.expect(codes.HEARTBEAT).get(112) == b"ping-7"
    close(session)


def test_a_malformed_execution_report_gets_a_session_reject_naming_its_seq(venue, tmp_path):
    session = logged_on_session(venue, tmp_path)
    venue.send(codes.EXECUTION_REPORT, [(150, b"0"), (39, b"0")])  # seq 2, no ClOrdID
    reject = venue.expect(codes.REJECT)
    assert reject.get(45) == b"2" and b"11" in reject.get(58)
    assert session.journal.state.next_in == 3  # it was consumed, not re-requested
    close(session)


def test_a_resend_request_gets_gap_fill_over_admin_and_the_orders_again(venue, tmp_path):
    session = logged_on_session(venue, tmp_path)
    client = FixExecutionClient(session, VenueCapabilities())
    client.submit(OrderRequest(5, 1, "MSFT.ORDERMATCH", OrderSide.BUY, 10, 10000))
    original = venue.expect(codes.NEW_ORDER_SINGLE)
    venue.send(codes.RESEND_REQUEST, [(7, b"1"), (16, b"0")])
    gap = venue.expect(codes.SEQUENCE_RESET)
    assert (gap.get(34), gap.get(123), gap.get(36), gap.get(43)) == (b"1", b"Y", b"2", b"Y")
    again = venue.expect(codes.NEW_ORDER_SINGLE)
    assert again.get(34) == original.get(34) == b"2" and again.get(43) == b"Y"
    for tag in (11, 38, 40, 44, 54, 55, 59):
        assert again.get(tag) == original.get(tag), tag
    close(session)


def test_a_gap_from_the_venue_is_requested_and_filled_before_the_session_is_in_sync(venue,
                                                                                   tmp_path):
    session = FixSession(SessionJournal(tmp_path / "j"), "127.0.0.1", venue.port, "RINGBUS",
                         "ORDERMATCH")
    starter = threading.Thread(target=session.start)
    starter.start()
    venue.accept()
    venue.expect(codes.LOGON)
    venue.send(codes.LOGON, [(98, b"0"), (108, b"30")], seq=5)  # we expected 1
    request = venue.expect(codes.RESEND_REQUEST)
    assert (request.get(7), request.get(16)) == (b"1", b"0")
    assert not session.synced.is_set()
    venue.send(codes.SEQUENCE_RESET, [(123, b"Y"), (36, b"6")], seq=1, poss_dup=True)
    assert session.synced.wait(5)
    assert session.journal.state.next_in == 6
    starter.join(5)
    close(session)


def test_an_execution_report_and_its_order_event_are_one_commit(venue, tmp_path):
    """A received message's FIX_IN and the order events it makes are journaled in one commit
    (one LMDB value), and the events reach ``on_events`` only once it is committed."""
    session = logged_on_session(venue, tmp_path)
    client = FixExecutionClient(session, VenueCapabilities())
    seen = []
    client.on_events = lambda events: seen.append(
        (session.journal.writer.committed_seq, int(events[-1]["seq"][0])))
    client.submit(OrderRequest(5, 1, "MSFT.ORDERMATCH", OrderSide.BUY, 10, 10000))
    venue.expect(codes.NEW_ORDER_SINGLE)
    venue.send(codes.EXECUTION_REPORT, [(37, b"V1"), (11, b"5"), (17, b"E1"), (150, b"0"),
                                        (39, b"0"), (55, b"MSFT"), (54, b"1"), (151, b"10"),
                                        (14, b"0"), (6, b"0")])
    deadline = time.monotonic() + 5
    while len(seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    committed, last_event = seen[-1]
    assert committed >= last_event  # committed before it was handed on
    close(session)
    with Journal.open(tmp_path / "j") as journal:  # one stored batch per commit here
        values = [batch.copy() for batch in JournalReader(journal).batches()]
    accepted = [v for v in values if int(Kind.ORDER_ACCEPTED) in v["kind"].tolist()]
    assert len(accepted) == 1
    kinds = accepted[0]["kind"].tolist()
    assert kinds.index(int(Kind.FIX_IN)) < kinds.index(int(Kind.ORDER_ACCEPTED))
    fix_in = kinds.index(int(Kind.FIX_IN))  # one append: the FIX_IN and its event, one stamp
    assert accepted[0]["ts_init"][fix_in] == accepted[0]["ts_init"][fix_in + 1]
    assert kinds[fix_in + 1] == int(Kind.ORDER_ACCEPTED)


def test_the_messages_of_one_socket_read_are_one_commit_and_their_events_one_hand_off(
        venue, tmp_path):
    """ExecutionReports that arrive in one read are handled as a read batch: their FIX_IN
    records and order events are journaled in one commit (one LMDB value), and the events
    reach ``on_events`` once, in seq order, after that commit."""
    session = logged_on_session(venue, tmp_path)
    client = FixExecutionClient(session, VenueCapabilities())
    seen = []
    client.on_events = lambda events: seen.append(
        (session.journal.writer.committed_seq, [int(e["seq"][0]) for e in events],
         [int(e["kind"][0]) for e in events]))
    for coid in (5, 6, 7):
        client.submit(OrderRequest(coid, 1, "MSFT.ORDERMATCH", OrderSide.BUY, 10, 10000))
        venue.expect(codes.NEW_ORDER_SINGLE)
    submitted = len(seen)
    venue.conn.sendall(b"".join(venue.encode(codes.EXECUTION_REPORT, [
        (37, b"V%d" % coid), (11, b"%d" % coid), (17, b"E%d" % coid), (150, b"0"), (39, b"0"),
        (55, b"MSFT"), (54, b"1"), (151, b"10"), (14, b"0"), (6, b"0")]) for coid in (5, 6, 7)))
    deadline = time.monotonic() + 5
    while len(seen) < submitted + 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # a second hand-off (the defect) would have come by now
    assert len(seen) == submitted + 1
    committed, seqs, kinds = seen[-1]
    assert kinds == [int(Kind.ORDER_ACCEPTED)] * 3
    assert seqs == sorted(seqs) and committed >= seqs[-1]
    close(session)
    with Journal.open(tmp_path / "j") as journal:
        values = [batch.copy() for batch in JournalReader(journal).batches()]
    accepted = [v for v in values if int(Kind.ORDER_ACCEPTED) in v["kind"].tolist()]
    assert len(accepted) == 1
    kinds = accepted[0]["kind"].tolist()
    assert kinds.count(int(Kind.FIX_IN)) == 3 and kinds.count(int(Kind.ORDER_ACCEPTED)) == 3
    assert kinds.index(int(Kind.FIX_IN)) < kinds.index(int(Kind.ORDER_ACCEPTED))


def test_orders_handed_out_together_are_one_commit_and_one_write(venue, tmp_path):
    """Sends inside ``corked`` (the commands one node commit hands out) are journaled, then
    committed once; their bytes go in one write, in MsgSeqNum order, after that commit; the
    events reach ``on_events`` after the bytes."""
    session = logged_on_session(venue, tmp_path)
    client = FixExecutionClient(session, VenueCapabilities())
    writes, seen = [], []
    write = session._write

    def recording_write(data: bytes) -> None:
        writes.append((session.journal.writer.committed_seq, data.count(b"\x0135=D\x01")))
        write(data)

    session._write = recording_write
    client.on_events = lambda events: seen.append((len(writes), int(events[0]["kind"][0])))
    with session.corked():
        for coid in (5, 6, 7):
            client.submit(OrderRequest(coid, 1, "MSFT.ORDERMATCH", OrderSide.BUY, 10, 10000))
        assert writes == [] and seen == []  # nothing leaves before the group's commit
    assert len(writes) == 1 and writes[0][1] == 3
    assert writes[0][0] == session.journal.writer.next_seq - 1  # committed before the bytes
    assert seen == [(1, int(Kind.ORDER_SUBMITTED))] * 3
    orders = [venue.expect(codes.NEW_ORDER_SINGLE) for _ in range(3)]
    assert [m.get(11) for m in orders] == [b"5", b"6", b"7"]
    assert [int(m.get(34)) for m in orders] == sorted(int(m.get(34)) for m in orders)
    assert sorted(client.orders.orders) == [5, 6, 7]
    close(session)
    with Journal.open(tmp_path / "j") as journal:  # one stored batch per commit here
        values = [batch.copy() for batch in JournalReader(journal).batches()]
    submitted = [v for v in values if int(Kind.ORDER_SUBMITTED) in v["kind"].tolist()]
    assert len(submitted) == 1
    assert submitted[0]["kind"].tolist().count(int(Kind.ORDER_SUBMITTED)) == 3
