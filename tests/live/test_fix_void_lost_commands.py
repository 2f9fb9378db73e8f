"""`sync` fsyncs a command (node journal) and its FIX message (session store) at once, so an OS
crash between the two fsyncs can leave a store whose NewOrderSingle's command the node's journal
lost. The bytes never left (they wait for both fsyncs): the restart voids the message, a
ResendRequest gap-fills over it, and its client order id is free for the order the node makes
again. The journal pair is built exactly so: a real node journal ending before the command's
seq, and a real session store whose message was committed by the adapter while no socket was
connected (nothing sent)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from adapters.fix import codes
from adapters.fix.capabilities import VenueCapabilities
from adapters.fix.client import FixExecutionClient, OrderRequest
from adapters.fix.session import FixSession
from adapters.fix.store import SessionJournal, is_void, without_voided
from domain.codec import encode
from domain.enums import OrderSide
from domain.kinds import Kind
from journal import JournalWriter
from replay.nodes.live_audit import fix_out_divergences
from tests.live.live_rig import journal_records
from tests.live.scripted_venue import ScriptedVenue

ORDER = OrderRequest(5, 1, "MSFT.ORDERMATCH", OrderSide.BUY, 10, 10000)


@pytest.fixture
def venue():
    v = ScriptedVenue()
    yield v
    v.close()


def _node_journal(path, last_seq: int) -> None:
    with JournalWriter(path, "sync") as writer:
        writer.on_batch(np.concatenate([encode(Kind.HEARTBEAT, seq=s, ts_init=s, flags=1)
                                        for s in range(1, last_seq + 1)]))


def _node_last_seq(path) -> int:
    with JournalWriter(path, "sync", fsync_apart=True) as writer:
        return writer.next_seq - 1


def _crashed_store(store, port: int) -> None:
    """The store of the crashed run: the order's NewOrderSingle (its command at node seq 4)
    committed and fsynced by the adapter; no socket connected, so no byte left."""
    crashed = SessionJournal(store, "sync")
    client = FixExecutionClient(FixSession(crashed, "127.0.0.1", port, "RINGBUS", "ORDERMATCH"),
                                VenueCapabilities())
    client.submit(ORDER, cause=4)
    crashed.close()


def _restart(venue: ScriptedVenue, store_path, node_path) -> tuple[FixExecutionClient, list[int]]:
    """What LiveNode does on a sync journal: void, then build the client, then log on."""
    store = SessionJournal(store_path, "sync")
    session = FixSession(store, "127.0.0.1", venue.port, "RINGBUS", "ORDERMATCH",
                         backoff_s=(0.05, 0.05))
    voided = store.void_lost_commands(_node_last_seq(node_path), session.session_id)
    client = FixExecutionClient(session, VenueCapabilities())
    starter = threading.Thread(target=session.start)
    starter.start()
    venue.accept()
    venue.expect(codes.LOGON)
    venue.send(codes.LOGON, [(98, b"0"), (108, b"30")])
    starter.join(5)
    return client, voided


def _close(client: FixExecutionClient) -> None:
    client.session._stopping.set()
    client.session.stop(timeout_s=0.5)
    client.session.journal.close()


def test_a_message_whose_command_the_node_journal_lost_is_voided_and_never_sent(venue,
                                                                               tmp_path):
    node, store = tmp_path / "node", tmp_path / "node.fix"
    _node_journal(node, 3)  # the command was seq 4: lost with the OS crash
    _crashed_store(store, venue.port)  # committed and fsynced; no socket: no byte left

    client, voided = _restart(venue, store, node)
    assert voided == [1]
    assert 5 not in client.orders.orders  # free for the order the node makes again
    venue.send(codes.RESEND_REQUEST, [(7, b"1"), (16, b"0")])
    gap = venue.expect(codes.SEQUENCE_RESET)
    assert (gap.get(34), gap.get(123), gap.get(36)) == (b"1", b"Y", b"3")  # 1 voided, 2 Logon
    assert venue.receive(0.3) is None  # no NewOrderSingle for the voided message
    client.submit(ORDER, cause=4)  # the node's journal makes the command again
    again = venue.expect(codes.NEW_ORDER_SINGLE)
    assert (again.get(34), again.get(11)) == (b"3", b"5")
    _close(client)

    records = journal_records(store)
    void = records[is_void(records)]
    assert len(void) == 1 and int(void["cause"][0]) == int(
        records[(records["kind"] == Kind.FIX_OUT)]["seq"][0])  # the voided FIX_OUT's seq
    kept = without_voided(records)
    assert int(np.count_nonzero(kept["kind"] == Kind.FIX_OUT)) == 3  # Logon x2, the new order
    # re-execution hands the order once: the store's voided message is not a second one
    assert fix_out_divergences([("submit", 5, ORDER)], records, set()) == []
    assert fix_out_divergences([], records, set()) != []  # the kept one still needs a command


def test_the_void_is_journaled_so_a_later_restart_keeps_it_whatever_the_node_journal_holds(
        venue, tmp_path):
    node, store = tmp_path / "node", tmp_path / "node.fix"
    _node_journal(node, 3)
    _crashed_store(store, venue.port)
    client, voided = _restart(venue, store, node)
    assert voided == [1]
    _close(client)

    with JournalWriter(node, "sync") as writer:  # the node's journal grows past seq 4 again
        writer.on_batch(np.concatenate([encode(Kind.HEARTBEAT, seq=s, ts_init=s, flags=1)
                                        for s in range(4, 11)]))
    later = ScriptedVenue()
    later.seq = venue.seq  # the same venue, restarted: its sequence numbers go on
    try:
        client, voided = _restart(later, store, node)
        assert voided == []
        assert 5 not in client.orders.orders
        later.send(codes.RESEND_REQUEST, [(7, b"1"), (16, b"0")])
        gap = later.expect(codes.SEQUENCE_RESET)
        assert (gap.get(34), gap.get(36)) == (b"1", b"5")  # voided 1, Logon, Logout, Logon
        assert later.receive(0.3) is None
        _close(client)
    finally:
        later.close()


def test_commands_the_node_journal_holds_are_not_voided(venue, tmp_path):
    node, store = tmp_path / "node", tmp_path / "node.fix"
    _node_journal(node, 4)  # the command at seq 4 is durable
    _crashed_store(store, venue.port)
    client, voided = _restart(venue, store, node)
    assert voided == [] and 5 in client.orders.orders
    venue.send(codes.RESEND_REQUEST, [(7, b"1"), (16, b"0")])
    resent = venue.expect(codes.NEW_ORDER_SINGLE)  # never sent before: the venue asks for it
    assert (resent.get(34), resent.get(11), resent.get(43)) == (b"1", b"5", b"Y")
    _close(client)
