"""The live node against QuickFIX ordermatch: strategies trade through the kernel and the FIX
adapter while a second FIX client provides the other side of the book."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from adapters.fix import codes
from domain.codec import as_kind
from domain.kinds import Kind
from domain.order_fsm import OrderStatus
from journal import Journal, JournalReader
from replay.nodes.live import LiveNode
from tests.live.live_rig import (
    PASSWORD,
    PASSWORD_ENV,
    SYMBOL,
    journal_records,
    live_raw,
    quote,
    wait_until,
)


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)


def _orders(node: LiveNode) -> dict[int, object]:
    return dict(node.kernel.ctx.cache.trading.orders)


def test_a_limit_order_through_the_live_node_fills_at_ordermatch(ordermatch, liquidity,
                                                                 tmp_path: Path):
    liquidity.limit("MSFT", "SELL", 100, "10.00")
    node = LiveNode(live_raw(ordermatch.port, tmp_path / "live",
                             [{"at": 1, "do": "limit", "side": "BUY", "qty": "100",
                               "price": "10.00", "name": "a"}])).start()
    iid = node.instrument_id(SYMBOL)
    node.push(quote(iid, "9.99", "10.00"))
    wait_until(lambda: any(o.status == OrderStatus.FILLED for o in _orders(node).values()),
               what="the order filled")
    run = node.stop()
    assert run.end_reason == "CLEAN"
    records = journal_records(tmp_path / "live")
    kinds = records["kind"].tolist()
    for kind in (Kind.SUBMIT_ORDER, Kind.ORDER_SUBMITTED, Kind.ORDER_ACCEPTED, Kind.ORDER_FILLED,
                 Kind.POSITION_OPENED, Kind.RUN_ENDED):
        assert kind in kinds, Kind(kind).name
    fill = records[records["kind"] == Kind.ORDER_FILLED]
    assert len(fill) == 1
    assert fill["ts_init"][0] > 0
    # the journal re-executes: every strategy decision and order event reproduced
    from replay.reexecute import reexecute

    result = reexecute(tmp_path / "live", trust_code=True)
    assert result.ok, result.format()
    # credentials never enter a record: neither journal's files hold the password
    for path in (tmp_path / "live", tmp_path / "live.fix"):
        for f in (p for p in path.rglob("*") if p.is_file()):
            assert PASSWORD.encode() not in f.read_bytes(), f


@pytest.mark.parametrize("wait", ["yielding", "busy-spin"])
def test_a_node_spinning_on_its_inbox_trades_and_its_journal_reexecutes(ordermatch, liquidity,
                                                                        tmp_path: Path, wait):
    liquidity.limit("MSFT", "SELL", 100, "10.00")
    node = LiveNode(live_raw(ordermatch.port, tmp_path / "live",
                             [{"at": 2, "do": "limit", "side": "BUY", "qty": "100",
                               "price": "10.00", "name": "a"}], wait=wait,
                             spin_us=5000)).start()
    assert node.inbox.wait.name == wait and node.inbox.wait.spin_ns == 5_000_000
    iid = node.instrument_id(SYMBOL)
    for bid in ("9.98", "9.99", "9.97"):
        node.push(quote(iid, bid, "10.00"))
    wait_until(lambda: any(o.status == OrderStatus.FILLED for o in _orders(node).values()),
               what="the order filled")
    assert node.stop().end_reason == "CLEAN"
    records = journal_records(tmp_path / "live")
    assert (records["kind"] == Kind.QUOTE).sum() == 3
    assert (records["kind"] == Kind.ORDER_FILLED).sum() == 1
    _reexecutes(tmp_path / "live")


@pytest.mark.parametrize("sync_commit", ["ordered", "single"])
def test_a_sync_node_commits_and_fsyncs_on_its_committer_thread_and_its_journal_reexecutes(
        ordermatch, liquidity, tmp_path: Path, sync_commit: str):
    liquidity.limit("MSFT", "SELL", 100, "10.00")
    raw = live_raw(ordermatch.port, tmp_path / "live",
                   [{"at": 3, "do": "limit", "side": "BUY", "qty": "100", "price": "10.00",
                     "name": "a"}])
    node = LiveNode({**raw, "durability": "sync",
                     "live": {**raw.get("live", {}), "sync_commit": sync_commit}}).start()
    iid = node.instrument_id(SYMBOL)
    for bid in ("9.97", "9.98", "9.99", "9.96"):
        node.push(quote(iid, bid, "10.00"))
    wait_until(lambda: any(o.status == OrderStatus.FILLED for o in _orders(node).values()),
               what="the order filled")
    writer = node.kernel.journal
    assert writer._committer is not None
    # single: commits, then fsyncs apart; ordered: LMDB's synchronous commits
    assert writer.fsync_apart == (sync_commit == "single")
    assert node.session.journal.writer.fsync_apart == (sync_commit == "single")
    wait_until(lambda: writer.durable_seq == writer.committed_seq, what="the fsync caught up")
    assert node.stop().end_reason == "CLEAN"
    records = journal_records(tmp_path / "live")
    submit = records[records["kind"] == Kind.SUBMIT_ORDER]
    assert len(submit) == 1 and (records["kind"] == Kind.ORDER_FILLED).sum() == 1
    store = journal_records(tmp_path / "live.fix")
    new = store[(store["kind"] == Kind.FIX_OUT) & (store["cause"] != 0)]
    assert new["cause"].tolist() == submit["seq"].tolist()  # the command's seq, for a restart
    _reexecutes(tmp_path / "live")


def _node(port: int, path: Path, steps: list[dict], **fix_caps) -> LiveNode:
    raw = live_raw(port, path, steps)
    if fix_caps:
        raw["fix"]["capabilities"] = fix_caps
    return LiveNode(raw).start()


def _order(node: LiveNode, name: str):
    strategy = node.kernel.component("scripted")
    coid = strategy.names.get(name)
    return None if coid is None else node.kernel.ctx.cache.order(coid)


def _status(node: LiveNode, name: str) -> str | None:
    order = _order(node, name)
    return None if order is None else order.status.name


def _reexecutes(path: Path) -> None:
    from replay.reexecute import reexecute

    result = reexecute(path, trust_code=True)
    assert result.ok, result.format()


def test_market_modify_and_partial_fills_through_the_node(ordermatch, liquidity,
                                                         tmp_path: Path):
    liquidity.limit("MSFT", "SELL", 10, "10.05")
    node = _node(ordermatch.port, tmp_path / "live", [
        {"at": 1, "do": "market", "side": "BUY", "qty": "10", "name": "mkt"},
        {"at": 1, "do": "limit", "side": "BUY", "qty": "20", "price": "9.00", "name": "m"},
        {"at": 2, "do": "modify", "ref": "m", "qty": "30", "price": "9.50"}])
    iid = node.instrument_id(SYMBOL)
    node.push(quote(iid, "10.00", "10.05"))
    wait_until(lambda: _status(node, "mkt") == "FILLED" and _status(node, "m") == "ACCEPTED",
               what="market filled, limit accepted")
    node.push(quote(iid, "10.00", "10.05"))
    # emulated modify: cancel, then version 1 for the new quantity and price
    wait_until(lambda: _order(node, "m").price_raw == 950 and _order(node, "m").quantity_raw == 30
               and _status(node, "m") == "ACCEPTED", what="modify applied")
    liquidity.limit("MSFT", "SELL", 10, "9.50")
    wait_until(lambda: _status(node, "m") == "PARTIALLY_FILLED", what="a partial fill")
    liquidity.limit("MSFT", "SELL", 20, "9.50")
    wait_until(lambda: _status(node, "m") == "FILLED", what="the rest filled")
    run = node.stop()
    assert run.end_reason == "CLEAN"
    records = journal_records(tmp_path / "live")
    fills = as_kind(records[records["kind"] == Kind.ORDER_FILLED], Kind.ORDER_FILLED)
    assert fills["last_px"].tolist() == [1005, 950, 950]  # the market order at the ask's price
    assert fills["last_qty"].tolist() == [10, 10, 20]
    assert Kind.ORDER_UPDATED in records["kind"].tolist()
    assert Kind.ORDER_CANCELED not in records["kind"].tolist()  # a modify, never a cancel
    _reexecutes(tmp_path / "live")


def test_a_venue_reject_and_a_capability_denial_come_back_as_order_rejected(
        ordermatch, tmp_path: Path):
    node = _node(ordermatch.port, tmp_path / "live", [
        {"at": 1, "do": "limit", "side": "BUY", "qty": "5", "price": "9.00", "tif": "GTC",
         "name": "gtc"},
        {"at": 1, "do": "limit", "side": "BUY", "qty": "5", "price": "9.00", "tif": "IOC",
         "name": "ioc"}],
        time_in_force=["DAY", "GTC"])  # declared, but ordermatch takes DAY only
    node.push(quote(node.instrument_id(SYMBOL), "9.99", "10.00"))
    wait_until(lambda: _status(node, "gtc") == "REJECTED" and _status(node, "ioc") == "REJECTED",
               what="both rejected")
    reasons = {name: node.kernel.strings.text(_order(node, name).reason_id)
               for name in ("gtc", "ioc")}
    node.stop()
    assert reasons["gtc"] == "Unsupported TIF, use Day"  # the venue's ExecutionReport
    assert reasons["ioc"] == "venue supports time in force DAY, GTC only, got IOC"  # never sent
    _reexecutes(tmp_path / "live")


def test_a_bracket_through_the_kernels_order_manager_at_a_venue_without_contingencies(
        ordermatch, liquidity, tmp_path: Path):
    liquidity.limit("MSFT", "SELL", 10, "10.00")
    node = _node(ordermatch.port, tmp_path / "live", [
        {"at": 1, "do": "bracket", "side": "BUY", "qty": "10", "entry": "10.00",
         "exit_a": "11.00", "exit_b": "10.50", "stop_loss": "9.00"}])
    node.push(quote(node.instrument_id(SYMBOL), "9.99", "10.00"))
    # OTO: the exits go to the venue only once the entry filled
    wait_until(lambda: _status(node, "entry") == "FILLED" and _status(node, "exit_a") ==
               "ACCEPTED" and _status(node, "exit_b") == "ACCEPTED", what="entry filled, exits out")
    liquidity.limit("MSFT", "BUY", 10, "10.50")  # takes exit_b
    # OCO: exit_b filled, the kernel cancels exit_a at the venue
    wait_until(lambda: _status(node, "exit_b") == "FILLED" and _status(node, "exit_a") ==
               "CANCELED", what="exit_b filled, exit_a canceled")
    node.stop()
    records = journal_records(tmp_path / "live")
    fills = as_kind(records[records["kind"] == Kind.ORDER_FILLED], Kind.ORDER_FILLED)
    assert fills["last_px"].tolist() == [1000, 1050]
    assert Kind.POSITION_CLOSED in records["kind"].tolist()
    _reexecutes(tmp_path / "live")


def test_a_dropped_connection_reconnects_and_the_venue_resends(ordermatch, liquidity,
                                                               tmp_path: Path):
    node = _node(ordermatch.port, tmp_path / "live", [
        {"at": 1, "do": "limit", "side": "BUY", "qty": "10", "price": "9.00", "name": "a"},
        {"at": 2, "do": "limit", "side": "BUY", "qty": "5", "price": "8.00", "name": "b"}])
    iid = node.instrument_id(SYMBOL)
    node.push(quote(iid, "8.99", "9.10"))
    wait_until(lambda: _status(node, "a") == "ACCEPTED", what="a accepted")
    connections = node.session.connections
    node.session.backoff_s = (0.1, 0.3)
    venue_address = node.session.address
    node.session.address = ("127.0.0.1", 1)  # the venue unreachable until b is journaled
    node.session.drop_connection()  # kill the socket, no Logout
    liquidity.limit("MSFT", "SELL", 10, "9.00")  # fills a while the node is cut off
    node.push(quote(iid, "8.99", "9.10"))  # b: journaled, not on the wire

    def b_journaled() -> bool:
        coid = node.kernel.component("scripted").names.get("b")
        return coid is not None and coid in node.fix_client.orders.orders

    wait_until(b_journaled, what="b in the session store")
    node.session.address = venue_address
    wait_until(lambda: _status(node, "a") == "FILLED" and _status(node, "b") == "ACCEPTED",
               what="fill resent and b sent after reconnect")
    assert node.session.connections == connections + 1
    node.stop()
    store = journal_records(tmp_path / "live.fix")
    inbound = as_kind(store[store["kind"] == Kind.FIX_IN], Kind.FIX_IN)
    types = [codes.unpack_msg_type(int(t)) for t in inbound["msg_type"]]
    assert codes.RESEND_REQUEST in types  # the venue asked for b, journaled while cut off
    assert bool(inbound["poss_dup"].any())  # and resent what we missed
    _reexecutes(tmp_path / "live")


def test_stop_cancels_the_open_orders_at_the_venue_then_stops_the_strategies(ordermatch,
                                                                             tmp_path: Path):
    node = _node(ordermatch.port, tmp_path / "live", [
        {"at": 1, "do": "limit", "side": "BUY", "qty": "10", "price": "9.00", "name": "a"}])
    node.push(quote(node.instrument_id(SYMBOL), "9.99", "10.00"))
    wait_until(lambda: _status(node, "a") == "ACCEPTED", what="a resting")
    strategy = node.kernel.component("scripted")
    run = node.stop()
    assert run.end_reason == "CLEAN" and strategy.stopped
    records = journal_records(tmp_path / "live")
    names = [Kind(k).name for k in records["kind"].tolist()]
    tail = names[names.index("CANCEL_ALL_ORDERS"):]
    assert tail == ["CANCEL_ALL_ORDERS", "ORDER_CANCELED", "RUN_ENDED"], tail
    assert node.fix_client.orders.orders[strategy.names["a"]].status == "CANCELED"  # the venue's
    _reexecutes(tmp_path / "live")


def test_a_venue_that_does_not_answer_fails_the_start_before_anything_is_journaled(tmp_path):
    listener = socket.socket()  # a port nothing answers on
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    raw = live_raw(port, tmp_path / "live", [{"at": 1, "do": "limit", "side": "BUY",
                                              "qty": "1", "price": "1.00"}])
    raw["fix"]["logon_timeout_s"] = 0.5
    with pytest.raises(TimeoutError, match="FIX logon"):
        LiveNode(raw).start()
    with Journal.open(tmp_path / "live") as journal:
        assert JournalReader(journal).last_seq() == 0  # no run to recover next time


def test_a_strategy_exception_ends_the_live_run_faulted_and_it_reexecutes(ordermatch,
                                                                          tmp_path: Path):
    node = _node(ordermatch.port, tmp_path / "live",
                 [{"at": 1, "do": "cancel", "ref": "never-submitted"}])  # KeyError in on_quote
    node.push(quote(node.instrument_id(SYMBOL), "9.99", "10.00"))
    wait_until(lambda: not node.running, what="the node ended")
    run = node.stop()
    assert run.end_reason == "FAULTED" and "KeyError" in run.fault
    records = journal_records(tmp_path / "live")
    assert Kind(int(records["kind"][-1])).name == "RUN_ENDED"
    _reexecutes(tmp_path / "live")  # the fault recurs at the same record
