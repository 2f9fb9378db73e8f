"""Failover of a live node at QuickFIX ordermatch, as real processes: a primary ``ringbus live``
whose strategy keeps orders working (a second FIX client rests and takes liquidity), a
``ringbus standby`` folding its journal; SIGKILL the primary at a random (seeded) moment:
- the standby takes over within 3 s (SIGKILL -> FAILOVER committed, measured), recovers the
  journal, logs on with the journaled sequence numbers, takes the venue's resends, reconciles;
- FAILOVER follows RUN_RECOVERED and names the last seq the standby folded and both pids;
- no order is lost (every order the kernel submitted reached the venue) or duplicated (one
  NewOrderSingle per ClOrdID); the new primary trades on (the venue fills its working orders);
- its state equals the venue's view (per order: filled quantity, open or not);
- the merged journal verifies (``ringbus verify``) and re-executes.
Two trials run in the default suite, ten (``-m slow``) in the long one: 10/10 must succeed."""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from adapters.fix import codes
from domain.codec import as_kind
from domain.enums import FailoverReason, OrderSide
from domain.kinds import Kind
from replay.reexecute import reexecute
from tests.live.live_rig import PASSWORD, PASSWORD_ENV, journal_records, wait_until
from tests.live.test_live_node_restart import _venue_view

ROOT = Path(__file__).resolve().parents[2]
TAKEOVER_LIMIT_S = 3.0
QUOTES = 14
QUOTE_GAP_S = 0.12

CONFIG = """
journal = "{journal}"
durability = "batch"
[[venues]]
name = "ORDERMATCH"
account_type = "CASH"
starting_balances = ["1000000 USD"]
[[instruments]]
id = "{symbol}.ORDERMATCH"
instrument_class = "EQUITY"
price_precision = 2
size_precision = 0
[[strategies]]
name = "tests.live.live_strategies:ScriptedOrders"
[strategies.params]
instrument = "{symbol}.ORDERMATCH"
steps = [{steps}]
[fix]
venue = "ORDERMATCH"
host = "127.0.0.1"
port = {port}
sender = "RINGBUS"
target = "ORDERMATCH"
heartbeat_s = 30
password_env = "{password_env}"
[live]
cancel_all_on_stop = false
stop_grace_s = 3.0
"""


def _steps() -> str:
    """On every quote a new order: a marketable buy at 10.00 (every third: fills against the
    liquidity, the last one partly) or a resting buy at 9.50; every fourth quote cancels the
    resting order two quotes back."""
    steps = []
    for k in range(1, QUOTES + 1):
        price = "10.00" if k % 3 == 1 else "9.50"
        steps.append(f'{{at = {k}, do = "limit", side = "BUY", qty = "10", price = "{price}", '
                     f'name = "o{k}"}}')
        if k % 4 == 0 and (k - 2) % 3 != 1:
            steps.append(f'{{at = {k}, do = "cancel", ref = "o{k - 2}"}}')
    return ", ".join(steps)


class Proc:
    """A ringbus process; its stdout lines are read on a thread (bounded waits)."""

    def __init__(self, *args: str, stdin: bool = False) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), PASSWORD_ENV: PASSWORD}
        self.p = subprocess.Popen([sys.executable, "-X", "faulthandler", "-m", "replay.cli", *args], cwd=ROOT, env=env,
                                  stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.p.stdout:
            self.lines.put(line)

    def until(self, pred, timeout: float, what: str) -> str:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                err = self.p.stderr.read() if self.p.poll() is not None else "(running)"
                raise AssertionError(f"timed out waiting for {what}; stderr: {err}")
            try:
                line = self.lines.get(timeout=min(left, 0.2))
            except queue.Empty:
                continue
            self.seen.append(line)
            if pred(line):
                return line

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait(30)


def _json(line: str) -> dict:
    try:
        return json.loads(line)
    except ValueError:
        return {}


def _new_orders(store: Path) -> list[int]:
    outs = journal_records(store)
    outs = as_kind(outs[outs["kind"] == Kind.FIX_OUT], Kind.FIX_OUT)
    return [int(o["client_order_id"]) for o in outs
            if codes.unpack_msg_type(int(o["msg_type"])) == codes.NEW_ORDER_SINGLE]


def _has(journal: Path, kind: int) -> bool:
    try:
        return bool(np.any(journal_records(journal)["kind"] == kind))
    except Exception:  # noqa: BLE001 - a journal being created
        return False


def trade_on_then_stop(standby: Proc, liquidity, symbol: str) -> tuple[dict, dict]:
    """After a takeover: returns the standby's takeover line; the venue fills the new primary's
    working orders at 9.50, then SIGTERM ends it (its ``ended`` line, exit 0)."""
    told = _json(standby.until(lambda s: _json(s).get("status") == "takeover", 30,
                               "the takeover line"))
    liquidity.limit(symbol, "SELL", 20, "9.50")
    time.sleep(1.5)
    standby.p.send_signal(signal.SIGTERM)
    ended = _json(standby.until(lambda s: _json(s).get("status") == "ended", 60,
                                "the new primary's end"))
    assert standby.p.wait(60) == 0
    return told, ended


def check_takeover(journal: Path, store: Path, told: dict, ended: dict, primary_pid: int,
                   standby_pid: int, reason: FailoverReason) -> np.ndarray:
    """Asserts a takeover's outcome (FAILOVER, no order lost or duplicated, the kernel's view
    equals the venue's, the journal verifies and re-executes); returns the FAILOVER record."""
    records = journal_records(journal)
    # FAILOVER right after RUN_RECOVERED, naming what the standby saw and both writers
    rec_at = int(np.flatnonzero(records["kind"] == Kind.RUN_RECOVERED)[-1])
    rec = as_kind(records[rec_at : rec_at + 1], Kind.RUN_RECOVERED)[0]
    fail = as_kind(records[rec_at + 1 : rec_at + 2], Kind.FAILOVER)[0]
    assert int(fail["last_seq_seen"]) == told["last_seq_seen"] <= int(rec["last_seq"])
    assert FailoverReason(int(fail["reason"])) == reason
    assert int(fail["old_writer_pid"]) == primary_pid
    assert int(fail["new_writer_pid"]) == standby_pid
    assert int(fail["crashed_run_id"]) == int(rec["crashed_run_id"])
    assert ended["end_reason"] == "CLEAN" and ended["recovered"] is True
    # the session logged on again with the journaled sequence numbers (no reset to 1)
    outs = journal_records(store)
    outs = as_kind(outs[outs["kind"] == Kind.FIX_OUT], Kind.FIX_OUT)
    logons = [int(o["msg_seq_num"]) for o in outs
              if codes.unpack_msg_type(int(o["msg_type"])) == codes.LOGON]
    assert len(logons) >= 2 and logons[-1] > 1, logons
    # no order duplicated, none lost
    news = _new_orders(store)
    assert len(news) == len(set(news)), "an order was sent twice"
    submitted = as_kind(records[records["kind"] == Kind.ORDER_SUBMITTED], Kind.ORDER_SUBMITTED)
    assert sorted(set(news)) == sorted(int(c) for c in submitted["client_order_id"]), \
        "an order the kernel submitted never reached the venue"
    # the kernel's state equals the venue's view
    venue = _venue_view(store)
    fills = as_kind(records[records["kind"] == Kind.ORDER_FILLED], Kind.ORDER_FILLED)
    canceled = set(as_kind(records[records["kind"] == Kind.ORDER_CANCELED],
                           Kind.ORDER_CANCELED)["client_order_id"].tolist())
    for coid, order in venue.orders.items():
        assert int(fills[fills["client_order_id"] == coid]["last_qty"].sum()) == order.cum_qty
        assert (coid in canceled) == (order.status == "CANCELED"), (coid, order.status)
    bought = int(fills["last_qty"].sum())
    assert bought == sum(o.cum_qty for o in venue.orders.values())
    pos = records[records["kind"] == Kind.ORDER_FILLED]
    assert bool(np.all(as_kind(pos, Kind.ORDER_FILLED)["side"] == OrderSide.BUY))
    out = subprocess.run([sys.executable, "-m", "replay.cli", "verify", str(journal)],
                         capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stdout + out.stderr
    result = reexecute(journal, trust_code=True)
    assert result.ok, result.format()
    return fail


def one_failover(port: int, liquidity, tmp: Path, trial: int) -> dict[str, float]:
    """Runs one primary + standby trial; asserts its outcome; returns its timings."""
    rng = random.Random(1500 + trial)
    symbol = f"F{trial}"
    journal, store = tmp / f"live{trial}", tmp / f"live{trial}.fix"
    config = tmp / f"live{trial}.toml"
    config.write_text(CONFIG.format(journal=journal, symbol=symbol, steps=_steps(), port=port,
                                    password_env=PASSWORD_ENV))
    liquidity.limit(symbol, "SELL", 35, "10.00")  # fills 3.5 of the marketable buys
    primary = Proc("live", "--config", str(config), "--quotes-stdin", "--json", stdin=True)
    procs = [primary]
    try:
        primary.until(lambda s: s.startswith("READY"), 60, "the primary's READY")
        standby = Proc("standby", str(journal), "--config", str(config), "--json")
        procs.append(standby)
        quote = f"{symbol}.ORDERMATCH 9.99 10.00\n"
        primary.p.stdin.write(quote)  # the first input commits the run's setup
        primary.p.stdin.flush()
        standby.until(lambda s: _json(s).get("status") == "following", 60, "the standby")
        kill_after = rng.uniform(0.05, QUOTES * QUOTE_GAP_S)
        start = time.monotonic()
        k = 1
        while time.monotonic() - start < kill_after:
            if k < QUOTES and time.monotonic() - start >= k * QUOTE_GAP_S:
                k += 1
                primary.p.stdin.write(quote)
                primary.p.stdin.flush()
            time.sleep(0.005)
        primary.p.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        primary.p.wait(30)
        wait_until(lambda: _has(journal, Kind.FAILOVER), 30, "FAILOVER in the journal")
        takeover_s = time.monotonic() - killed
        told, ended = trade_on_then_stop(standby, liquidity, symbol)
    finally:
        for p in procs:
            p.stop()
    check_takeover(journal, store, told, ended, primary.p.pid, standby.p.pid,
                   FailoverReason.LOCK_RELEASED)
    assert takeover_s < TAKEOVER_LIMIT_S, f"takeover took {takeover_s:.2f} s"
    return {"kill_after_s": kill_after, "takeover_s": takeover_s, "orders": len(set(_new_orders(store)))}


@pytest.mark.parametrize("trial", [0, 1])
def test_failover_at_ordermatch(trial, ordermatch, liquidity, tmp_path):
    got = one_failover(ordermatch.port, liquidity, tmp_path, trial)
    print(f"trial {trial}: killed after {got['kill_after_s']:.2f} s, takeover "
          f"{got['takeover_s']:.2f} s, {got['orders']} orders")


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(10))
def test_failover_at_ordermatch_ten_trials(trial, ordermatch, liquidity, tmp_path):
    got = one_failover(ordermatch.port, liquidity, tmp_path, 100 + trial)
    print(f"trial {trial}: killed after {got['kill_after_s']:.2f} s, takeover "
          f"{got['takeover_s']:.2f} s, {got['orders']} orders")
