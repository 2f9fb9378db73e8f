"""A bracket through emulation at QuickFIX ordermatch (a limit-only venue without stop orders or
contingencies): the live node holds the stop-loss in the kernel's emulator, the entry and the
take-profit rest at the venue, a second FIX client provides the other side of the book."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from adapters.fix import codes
from domain.codec import as_kind
from domain.enums import OrderType
from domain.kinds import Kind
from replay.nodes.live import LiveNode
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

NOS, CANCEL = codes.pack_msg_type(codes.NEW_ORDER_SINGLE), codes.pack_msg_type(codes.CANCEL_REQUEST)


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)


def _start(port: int, path: Path) -> LiveNode:
    """A node whose strategy submits, on its first quote, BUY 10 @ 10.00 OTO [TP SELL @ 11.00
    OCO SL SELL stop 9.50 emulated on bid/ask]."""
    return LiveNode(live_raw(port, path, [
        {"at": 1, "do": "emulated_bracket", "side": "BUY", "qty": "10", "entry": "10.00",
         "take_profit": "11.00", "stop_loss": "9.50"}])).start()


def _names(node: LiveNode) -> dict[str, int]:
    return node.kernel.component("scripted").names


def _status(node: LiveNode, name: str) -> str | None:
    coid = _names(node).get(name)
    order = None if coid is None else node.kernel.ctx.cache.order(coid)
    return None if order is None else order.status.name


def _bracket_open(port: int, liquidity, path: Path) -> tuple[LiveNode, dict[str, int]]:
    """Starts the node; its entry fills against a resting SELL 10 @ 10.00, the take-profit goes
    to the venue and the stop-loss is armed in the kernel. Returns the node and order ids."""
    liquidity.limit("MSFT", "SELL", 10, "10.00")
    node = _start(port, path)
    node.push(quote(node.instrument_id(SYMBOL), "9.99", "10.00"))
    wait_until(lambda: _status(node, "entry") == "FILLED" and _status(node, "take_profit")
               == "ACCEPTED" and _status(node, "stop_loss") == "INITIALIZED",
               what="entry filled, take-profit at the venue, stop-loss armed")
    assert _names(node)["stop_loss"] not in node.fix_client.orders.orders  # held, not sent
    return node, dict(_names(node))


def _fix_out(path: Path, client_order_id: int) -> np.ndarray:
    store = journal_records(path)
    out = as_kind(store[store["kind"] == Kind.FIX_OUT], Kind.FIX_OUT)
    return out[out["client_order_id"] == client_order_id]


def _verify_reexecute(path: Path) -> None:
    result = cli("verify", str(path), "--reexecute", "--trust-journal-code")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "diverge" not in result.stdout
    _causes_name_commands(path)


_COMMANDS = {int(k) for k in (Kind.SUBMIT_ORDER, Kind.SUBMIT_ORDER_LIST, Kind.MODIFY_ORDER,
                              Kind.CANCEL_ORDER, Kind.CANCEL_ALL_ORDERS)}


def _causes_name_commands(path: Path) -> None:
    """Every first-version order message's FIX_OUT names, as its cause, a command record of the
    node's journal (what a sync restart checks to void a message whose command was lost)."""
    node = journal_records(path)
    kinds = dict(zip(node["seq"].tolist(), node["kind"].tolist(), strict=True))
    store = journal_records(path.with_name(path.name + ".fix"))
    outs = as_kind(store[(store["kind"] == Kind.FIX_OUT) & (store["cause"] != 0)], Kind.FIX_OUT)
    app = as_kind(store[store["kind"] == Kind.FIX_OUT], Kind.FIX_OUT)
    assert len(outs) == int(np.count_nonzero((app["client_order_id"] != 0)
                                             & (app["cl_ord_version"] == 0))) > 0
    for rec in outs:
        assert kinds.get(int(rec["cause"])) in _COMMANDS, (int(rec["cause"]), int(rec["msg_seq_num"]))


def test_the_emulated_stop_loss_is_released_as_a_marketable_limit_and_oco_cancels_the_tp(
        ordermatch, liquidity, tmp_path: Path):
    node, names = _bracket_open(ordermatch.port, liquidity, tmp_path / "live")
    liquidity.limit("MSFT", "BUY", 10, "9.40")  # the bid the stop-loss will hit
    node.push(quote(node.instrument_id(SYMBOL), "9.40", "9.45"))  # bid through the stop
    wait_until(lambda: _status(node, "stop_loss") == "FILLED"
               and _status(node, "take_profit") == "CANCELED",
               what="stop-loss filled at the venue, take-profit canceled")
    venue_view = {name: node.fix_client.orders.orders[names[name]].status
                  for name in ("entry", "take_profit", "stop_loss")}
    run = node.stop()
    assert run.end_reason == "CLEAN"
    assert venue_view == {"entry": "FILLED", "take_profit": "CANCELED", "stop_loss": "FILLED"}
    # the other side of the book: the venue filled its SELL (entry) and its BUY (stop-loss)
    assert liquidity.wait_fill("L1").get(31) == b"10"
    # ordermatch prices every match at the ask: here the stop-loss's protection price
    assert liquidity.wait_fill("L2").get(31) == b"9.35"

    records = journal_records(tmp_path / "live")
    kinds = records["kind"].tolist()
    armed = as_kind(records[records["kind"] == Kind.ORDER_ARMED], Kind.ORDER_ARMED)
    released = as_kind(records[records["kind"] == Kind.ORDER_RELEASED], Kind.ORDER_RELEASED)
    assert armed["client_order_id"].tolist() == [names["stop_loss"]]
    assert released["client_order_id"].tolist() == [names["stop_loss"]]
    assert kinds.index(Kind.ORDER_ARMED) < kinds.index(Kind.ORDER_RELEASED)
    fills = as_kind(records[records["kind"] == Kind.ORDER_FILLED], Kind.ORDER_FILLED)
    assert fills["client_order_id"].tolist() == [names["entry"], names["stop_loss"]]
    assert fills["last_px"].tolist() == [1000, 935]
    assert Kind.POSITION_CLOSED in kinds

    # one NewOrderSingle for the stop-loss, sent after its release: a LIMIT at the protection
    # price 50 bps below the bid (9.40 - 0.047, rounded away: 9.35)
    sl_out = _fix_out(tmp_path / "live.fix", names["stop_loss"])
    assert sl_out["msg_type"].tolist() == [NOS]
    assert int(sl_out["order_type"][0]) == OrderType.LIMIT and int(sl_out["price"][0]) == 935
    tp_out = _fix_out(tmp_path / "live.fix", names["take_profit"])
    assert tp_out["msg_type"].tolist() == [NOS, CANCEL]  # OCO: canceled at the venue

    _verify_reexecute(tmp_path / "live")
    sl_fill = int(records[records["kind"] == Kind.ORDER_FILLED]["seq"][1])
    result = cli("trace", str(tmp_path / "live"), "--seq", str(sl_fill), "--json")
    assert result.returncode == 0, result.stderr
    chain = json.loads(result.stdout)["chain"]
    kinds_in_chain = [r["kind_name"] for r in chain]
    assert kinds_in_chain[:2] == ["SUBMIT_ORDER", "QUOTE"], kinds_in_chain
    releasing_quote = int(records[records["kind"] == Kind.QUOTE]["seq"][1])
    assert chain[1]["seq"] == releasing_quote == int(released["cause"][0])


def test_a_take_profit_filled_at_the_venue_cancels_the_held_stop_loss_in_the_kernel(
        ordermatch, liquidity, tmp_path: Path):
    node, names = _bracket_open(ordermatch.port, liquidity, tmp_path / "live")
    liquidity.limit("MSFT", "BUY", 10, "11.00")  # takes the take-profit
    wait_until(lambda: _status(node, "take_profit") == "FILLED"
               and _status(node, "stop_loss") == "CANCELED",
               what="take-profit filled, stop-loss canceled")
    node.push(quote(node.instrument_id(SYMBOL), "9.40", "9.45"))  # through the old stop
    node.push(quote(node.instrument_id(SYMBOL), "9.41", "9.46"))
    wait_until(lambda: node.kernel.component("scripted").quotes == 3, what="quotes folded")
    venue_orders = dict(node.fix_client.orders.orders)
    run = node.stop()
    assert run.end_reason == "CLEAN"
    assert names["stop_loss"] not in venue_orders  # the venue never heard of it
    assert venue_orders[names["take_profit"]].status == "FILLED"
    assert liquidity.wait_fill("L2").get(31) == b"11"
    assert len(_fix_out(tmp_path / "live.fix", names["stop_loss"])) == 0

    records = journal_records(tmp_path / "live")
    kinds = records["kind"].tolist()
    assert Kind.ORDER_ARMED in kinds and Kind.ORDER_RELEASED not in kinds
    assert Kind.ORDER_CANCEL_REJECTED not in kinds
    canceled = as_kind(records[records["kind"] == Kind.ORDER_CANCELED], Kind.ORDER_CANCELED)
    assert canceled["client_order_id"].tolist() == [names["stop_loss"]]
    fills = as_kind(records[records["kind"] == Kind.ORDER_FILLED], Kind.ORDER_FILLED)
    assert fills["last_px"].tolist() == [1000, 1100]
    assert Kind.POSITION_CLOSED in kinds
    _verify_reexecute(tmp_path / "live")
