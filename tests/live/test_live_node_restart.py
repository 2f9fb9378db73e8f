"""SIGKILL and restart of ``ringbus live`` (a real subprocess) with open and partially filled
orders at ordermatch: the restarted node recovers by replay, logs on with the journaled
sequence numbers, takes the venue's resends and ends with the venue's view of every order —
none lost, none sent twice — and its journal re-executes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from adapters.fix import codes
from adapters.fix.orders import FixOrders
from domain.codec import as_kind
from domain.kinds import Kind
from journal import Journal
from replay.rebuild import rebuild
from replay.reexecute import reexecute
from tests.live.live_rig import (
    PASSWORD,
    PASSWORD_ENV,
    journal_records,
    live_raw,
    wait_until,
    write_toml,
)

ROOT = Path(__file__).resolve().parents[2]


def _start(config: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **{PASSWORD_ENV: PASSWORD})
    proc = subprocess.Popen(
        [sys.executable, "-m", "replay.cli", "live", "--config", str(config), "--quotes-stdin",
         "--json"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env, cwd=ROOT)
    line = proc.stdout.readline()
    assert line.startswith("READY"), (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc


def _count(path: Path, kind: int, inputs_only: bool = True) -> int:
    try:
        records = journal_records(path)
    except Exception:  # noqa: BLE001 - not created yet
        return 0
    mask = records["kind"] == kind
    if inputs_only:
        mask &= (records["flags"] & 1) != 0
    return int(np.count_nonzero(mask))


def _venue_view(store: Path) -> FixOrders:
    view = FixOrders()
    for rec in journal_records(store):
        one = rec.reshape(1)
        if int(one["kind"][0]) == Kind.FIX_OUT:
            view.on_out(one)
        elif int(one["kind"][0]) == Kind.FIX_IN:
            view.on_in(one)
    return view


@pytest.mark.parametrize("durability", ["batch", "sync", "sync:single"])  # single: fsyncs apart
def test_sigkill_with_open_and_partially_filled_orders_then_restart_reconciles(
        ordermatch, liquidity, tmp_path: Path, durability: str):
    journal, store = tmp_path / "live", tmp_path / "live.fix"
    steps = [{"at": 1, "do": "limit", "side": "BUY", "qty": "100", "price": "10.00", "name": "a"},
             {"at": 1, "do": "limit", "side": "BUY", "qty": "30", "price": "9.00", "name": "b"}]
    durability, _, sync_commit = durability.partition(":")
    raw = live_raw(ordermatch.port, journal, steps, cancel_all_on_stop=False,
                   **({"sync_commit": sync_commit} if sync_commit else {}))
    config = write_toml({**raw, "durability": durability}, tmp_path / "live.toml")
    liquidity.limit("MSFT", "SELL", 40, "10.00")  # a fills 40 of 100
    proc = _start(config)
    proc.stdin.write("MSFT.ORDERMATCH 9.99 10.00\n")
    proc.stdin.flush()
    wait_until(lambda: _count(journal, Kind.ORDER_FILLED) >= 1
               and _count(journal, Kind.ORDER_ACCEPTED) >= 2, what="accepted + partial fill")
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    # while the node is down the venue fills more of both orders
    liquidity.limit("MSFT", "SELL", 60, "10.00")  # a: filled
    liquidity.limit("MSFT", "SELL", 20, "9.00")   # b: 20 of 30 (a sell matches the best bid)
    proc = _start(config)
    wait_until(lambda: _count(journal, Kind.ORDER_FILLED) >= 3, what="the venue's resends")
    # a difference found once the session is in sync is journaled (the venue may deliver the
    # rest as ordinary reports after that point: they arrive as order events)
    wait_until(lambda: _count(journal, Kind.FIX_RECONCILED) >= 1, what="a reconciliation record")
    proc.send_signal(signal.SIGTERM)  # graceful stop (no cancel-all configured)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    records = journal_records(journal)
    # none sent twice: one NewOrderSingle per ClOrdID in the session store
    outs = [r.reshape(1) for r in journal_records(store) if int(r["kind"]) == Kind.FIX_OUT]
    news = [int(as_kind(o, Kind.FIX_OUT)["client_order_id"][0]) for o in outs
            if codes.unpack_msg_type(int(as_kind(o, Kind.FIX_OUT)["msg_type"][0]))
            == codes.NEW_ORDER_SINGLE]
    assert len(news) == len(set(news)) == 2
    # the kernel's orders equal the venue's view (filled quantities, open)
    venue = _venue_view(store)
    fills = as_kind(records[records["kind"] == Kind.ORDER_FILLED], Kind.ORDER_FILLED)
    for coid, order in venue.orders.items():
        mine = fills[fills["client_order_id"] == coid]
        assert int(mine["last_qty"].sum()) == order.cum_qty, coid
    assert sorted((o.cum_qty, o.status) for o in venue.orders.values()) == [
        (20, "PARTIALLY_FILLED"), (100, "FILLED")]
    with Journal.open(journal) as j:  # the node's state at its end, rebuilt from its journal
        cache = rebuild(j).kernel.ctx.cache
        for coid, order in venue.orders.items():
            mine = cache.order(coid)
            assert (mine.status.name, mine.filled_raw) == (order.status, order.cum_qty)
    assert Kind.RUN_RECOVERED in records["kind"].tolist()
    result = reexecute(journal, trust_code=True)
    assert result.ok, result.format()
    for path in (journal, store):
        for f in (p for p in path.rglob("*") if p.is_file()):
            assert PASSWORD.encode() not in f.read_bytes(), f
