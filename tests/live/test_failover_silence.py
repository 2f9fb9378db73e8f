"""The standby's second loss signal against a real live node at ordermatch: heartbeat silence.
The primary (``ringbus live`` journaling a HEARTBEAT every 0.1 s) is hung with SIGSTOP while it
holds the writer lock:
- ``--on-silence report``: the standby prints ``primary_silent`` naming the lock holder's pid
  and never writes (the journal does not move, the lock stays the primary's); after SIGCONT it
  prints ``primary_resumed`` and the primary trades on and ends cleanly;
- ``--on-silence fence`` (the default): the standby SIGKILLs the hung primary, and only once
  the kernel released its lock takes over: FAILOVER (HEARTBEAT_TIMEOUT, the silence, both
  pids), no order lost or duplicated, state equal to the venue's, the journal verifies."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import numpy as np

from domain.codec import as_kind
from domain.enums import FailoverReason
from domain.kinds import Kind
from journal.lock import writer_alive
from tests.live.live_rig import PASSWORD_ENV, journal_records, wait_until
from tests.live.test_failover import (
    CONFIG,
    Proc,
    _has,
    _json,
    _steps,
    check_takeover,
    trade_on_then_stop,
)

TIMEOUT_S = 1.0


def _start(port: int, liquidity, tmp: Path, on_silence: str) -> tuple[Proc, Proc, Path, str]:
    journal = tmp / "live"
    config = tmp / "live.toml"
    config.write_text(CONFIG.format(journal=journal, symbol="S", steps=_steps(), port=port,
                                    password_env=PASSWORD_ENV) + "heartbeat_interval_s = 0.1\n")
    liquidity.limit("S", "SELL", 15, "10.00")
    primary = Proc("live", "--config", str(config), "--quotes-stdin", "--json", stdin=True)
    primary.until(lambda s: s.startswith("READY"), 60, "the primary's READY")
    standby = Proc("standby", str(journal), "--config", str(config), "--json",
                   "--heartbeat-timeout", str(TIMEOUT_S), "--on-silence", on_silence)
    quote = "S.ORDERMATCH 9.99 10.00\n"
    for _ in range(3):  # three orders: one filled, one partly, one resting
        primary.p.stdin.write(quote)
        primary.p.stdin.flush()
        time.sleep(0.1)
    wait_until(lambda: int(np.count_nonzero(journal_records(journal)["kind"] == Kind.HEARTBEAT))
               >= 5, 60, "heartbeats")
    standby.until(lambda s: _json(s).get("status") == "following", 60, "the standby")
    return primary, standby, journal, quote


def test_silence_is_reported_never_written_over_and_the_primary_resumes(ordermatch, liquidity,
                                                                          tmp_path):
    primary, standby, journal, quote = _start(ordermatch.port, liquidity, tmp_path, "report")
    try:
        time.sleep(0.5)  # the standby has folded heartbeats: the timeout is armed
        primary.p.send_signal(signal.SIGSTOP)
        hung = time.monotonic()
        silent = _json(standby.until(lambda s: _json(s).get("status") == "primary_silent", 30,
                                     "primary_silent"))
        told_s = time.monotonic() - hung
        end = len(journal_records(journal))
        time.sleep(2 * TIMEOUT_S)  # the standby keeps following; nobody writes
        assert len(journal_records(journal)) == end
        assert writer_alive(journal) == primary.p.pid and primary.p.poll() is None
        primary.p.send_signal(signal.SIGCONT)
        standby.until(lambda s: _json(s).get("status") == "primary_resumed", 30,
                      "primary_resumed")
        primary.p.stdin.write(quote)  # it trades on
        primary.p.stdin.flush()
        primary.p.stdin.close()  # the end of stdin stops the node
        ended = _json(primary.until(lambda s: "end_reason" in _json(s), 60, "the primary's end"))
        assert primary.p.wait(60) == 0 and ended["end_reason"] == "CLEAN"
        standby.until(lambda s: _json(s).get("status") == "primary_ended", 30, "primary_ended")
        assert standby.p.wait(30) == 0
    finally:
        primary.p.send_signal(signal.SIGCONT)
        primary.stop()
        standby.stop()
    assert silent["pid"] == primary.p.pid and silent["action"] == "report"
    # silence counts from the last record seen (a heartbeat up to 0.1 s before the SIGSTOP)
    assert silent["silent_s"] >= TIMEOUT_S and TIMEOUT_S - 0.2 <= told_s < TIMEOUT_S + 1.5
    assert not any(_json(s).get("status") == "takeover" for s in standby.seen)
    records = journal_records(journal)
    assert not bool(np.any(records["kind"] == Kind.FAILOVER))
    assert not bool(np.any(records["kind"] == Kind.RUN_RECOVERED))


def test_a_hung_primary_is_fenced_then_taken_over(ordermatch, liquidity, tmp_path):
    primary, standby, journal, _ = _start(ordermatch.port, liquidity, tmp_path, "fence")
    try:
        time.sleep(0.5)
        primary.p.send_signal(signal.SIGSTOP)
        hung = time.monotonic()
        wait_until(lambda: _has(journal, Kind.FAILOVER), 30, "FAILOVER in the journal")
        takeover_s = time.monotonic() - hung
        assert primary.p.wait(10) == -signal.SIGKILL  # fenced by the standby
        told, ended = trade_on_then_stop(standby, liquidity, "S")
    finally:
        primary.p.send_signal(signal.SIGCONT)
        primary.stop()
        standby.stop()
    silent = next(_json(s) for s in standby.seen if _json(s).get("status") == "primary_silent")
    assert silent["pid"] == primary.p.pid and silent["action"] == "fence"
    fail = check_takeover(journal, tmp_path / "live.fix", told, ended, primary.p.pid,
                          standby.p.pid, FailoverReason.HEARTBEAT_TIMEOUT)
    assert int(fail["silent_ns"]) >= TIMEOUT_S * 1e9 and told["reason"] == "HEARTBEAT_TIMEOUT"
    # the new writer heartbeats too, after the FAILOVER
    records = journal_records(journal)
    after = records[records["seq"] > fail["seq"]]
    beats = as_kind(after[after["kind"] == Kind.HEARTBEAT], Kind.HEARTBEAT)
    assert len(beats) >= 3 and set(beats["pid"].tolist()) == {standby.p.pid}
    # loss declared at the timeout, then fence + recovery + commit
    assert TIMEOUT_S - 0.2 <= takeover_s < TIMEOUT_S + 3.0, takeover_s
    print(f"takeover {takeover_s:.2f} s after the primary hung (timeout {TIMEOUT_S} s)")
