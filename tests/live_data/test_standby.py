"""Hot standby, as real processes: a sandbox primary on the replay server, two standbys
folding its journal; SIGKILL the primary: exactly one standby takes over, recovers the journal
(RUN_RECOVERED naming the crashed run's last seq, then FAILOVER naming the last seq the standby
folded and both writers' pids) and goes on with live data."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from domain.codec import as_kind
from domain.enums import FailoverReason, RecordFlag
from domain.kinds import Kind
from journal.reader import JournalReader
from journal.store import Journal
from tests.live_data.binance_server import BinanceReplayServer, ServerThread, Timeline
from tests.live_data.conftest import ROOT, ringbus_process
from tests.live_data.test_sandbox import SANDBOX_TOML

pytestmark = pytest.mark.slow


class Proc:
    """A ringbus process whose stdout lines are read on a thread (bounded waits)."""

    def __init__(self, *args: str) -> None:
        self.p = subprocess.Popen([sys.executable, "-m", "replay.cli", *args],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.p.stdout:
            self.lines.put(line)

    def until(self, pred, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"timed out; stderr: {self.p.stderr.read() if self.p.poll() else ''}"
            try:
                doc = json.loads(self.lines.get(timeout=left))
            except queue.Empty:
                continue
            if pred(doc):
                return doc

    def drain(self) -> list[dict]:
        out = []
        while not self.lines.empty():
            out.append(json.loads(self.lines.get_nowait()))
        return out


def _records(path: str) -> np.ndarray:
    with Journal.open(path, readonly=True) as journal:
        return JournalReader(journal).records_between(1)


def test_two_standbys_exactly_one_takes_over_after_sigkill(shared_data, tmp_path):
    server = ServerThread(BinanceReplayServer(
        Timeline(shared_data / "btcusdt-depth-snap.csv",
                 shared_data / "btcusdt-depth-update.csv", 1), min_gap_s=0.08))
    config = tmp_path / "sandbox.toml"
    config.write_text(SANDBOX_TOML.format(port=server.port))
    journal = str(tmp_path / "j")
    procs: list[Proc] = []
    try:
        primary = Proc("sandbox", "--config", str(config), "--journal", journal)
        standbys = [Proc("standby", journal, "--config", str(config), "--json")
                    for _ in range(2)]
        procs = [primary, *standbys]
        for s in standbys:  # both are folding the live journal
            s.until(lambda d: d["status"] == "following" and d["seq"] > 60, 120)
        primary.p.send_signal(signal.SIGKILL)
        primary.p.wait(30)
        killed = time.monotonic()
        crashed_last = len(_records(journal))
        winner = None
        while winner is None:
            assert time.monotonic() - killed < 60, "no standby took over"
            for i, s in enumerate(standbys):
                for doc in s.drain():
                    if doc["status"] == "takeover":
                        winner = (i, doc)
            time.sleep(0.01)
        while True:  # the recovered journal goes on
            recs = _records(journal)
            if (recs["kind"] == Kind.RUN_RECOVERED).any():
                takeover_s = time.monotonic() - killed
                break
            assert time.monotonic() - killed < 120, "no RUN_RECOVERED"
            time.sleep(0.02)
        time.sleep(1.5)  # live data after the takeover
        for s in standbys:
            s.p.send_signal(signal.SIGTERM)
        for s in standbys:
            assert s.p.wait(60) == 0, s.p.stderr.read()
    finally:
        for p in procs:
            if p.p.poll() is None:
                p.p.kill()
        server.stop()
    i, doc = winner
    loser = standbys[1 - i]
    assert not any(d["status"] == "takeover" for d in loser.drain())
    assert doc["last_seq_seen"] == crashed_last  # it folded every record the primary committed
    recs = _records(journal)
    rec = as_kind(recs[recs["kind"] == Kind.RUN_RECOVERED], Kind.RUN_RECOVERED)[0]
    # the crashed run's last seq (recovery may first append the rest of an input's cascade)
    assert int(rec["last_seq"]) >= crashed_last
    # the takeover is marked right after it: the standby's last seq, the lost and new writer
    fail = as_kind(recs[int(rec["seq"]) : int(rec["seq"]) + 1], Kind.FAILOVER)[0]
    assert int(fail["last_seq_seen"]) == crashed_last == doc["last_seq_seen"]
    assert int(fail["crashed_run_id"]) == int(rec["crashed_run_id"])
    assert FailoverReason(int(fail["reason"])) == FailoverReason.LOCK_RELEASED
    assert int(fail["old_writer_pid"]) == primary.p.pid == doc["old_writer_pid"]
    assert int(fail["new_writer_pid"]) == standbys[i].p.pid
    assert int(recs["kind"][int(rec["seq"]) + 1]) == Kind.RUN_STARTED
    after = recs[int(rec["seq"]):]
    live = after[(after["kind"] == Kind.BOOK_DELTA) & ((after["flags"] & RecordFlag.INPUT) != 0)]
    assert len(live) > 0 and int(recs["kind"][-1]) == Kind.RUN_ENDED
    out = ringbus_process("verify", journal, "--reexecute")
    assert out.returncode == 0, out.stdout + out.stderr
    print(f"takeover {takeover_s:.2f} s after SIGKILL")


def test_a_hung_sandbox_is_detected_by_heartbeat_timeout_fenced_and_taken_over(shared_data,
                                                                              tmp_path):
    """A sandbox journaling a HEARTBEAT every 0.1 s stays 'alive' for its standby after its
    market went quiet; hung with SIGSTOP (the writer lock still held), it is seen lost at the
    1 s heartbeat timeout, fenced (SIGKILL) and taken over: FAILOVER HEARTBEAT_TIMEOUT, the new
    writer heartbeats, the merged journal re-executes."""
    timeout_s = 1.0
    timeline = Timeline(shared_data / "btcusdt-depth-snap.csv",
                        shared_data / "btcusdt-depth-update.csv", 5)
    server = ServerThread(BinanceReplayServer(timeline, min_gap_s=0.02))
    config = tmp_path / "sandbox.toml"
    config.write_text(SANDBOX_TOML.format(port=server.port)
                      + "\n[sandbox]\nheartbeat_interval_s = 0.1\n")
    journal = str(tmp_path / "j")
    procs: list[Proc] = []
    try:
        primary = Proc("sandbox", "--config", str(config), "--journal", journal)
        standby = Proc("standby", journal, "--config", str(config), "--json",
                       "--heartbeat-timeout", str(timeout_s), "--on-silence", "fence")
        procs = [primary, standby]
        standby.until(lambda d: d["status"] == "following" and d["seq"] > 60, 120)
        deadline = time.monotonic() + 60
        while not timeline.done:
            assert time.monotonic() < deadline, "the replay server never finished"
            time.sleep(0.05)
        time.sleep(3 * timeout_s)  # a quiet market: only heartbeats keep the primary alive
        quiet = standby.drain()
        assert not any(d["status"] in ("primary_silent", "takeover") for d in quiet), quiet
        primary.p.send_signal(signal.SIGSTOP)
        hung = time.monotonic()
        told = standby.until(lambda d: d["status"] == "takeover", 60)
        takeover_s = time.monotonic() - hung
        assert primary.p.wait(10) == -signal.SIGKILL  # fenced by the standby
        time.sleep(1.0)  # the new writer heartbeats
        standby.p.send_signal(signal.SIGTERM)
        assert standby.p.wait(60) == 0, standby.p.stderr.read()
    finally:
        for p in procs:
            if p.p.poll() is None:
                p.p.send_signal(signal.SIGCONT)
                p.p.kill()
        server.stop()
    recs = _records(journal)
    fail = as_kind(recs[recs["kind"] == Kind.FAILOVER], Kind.FAILOVER)
    assert len(fail) == 1 and told["reason"] == "HEARTBEAT_TIMEOUT"
    assert FailoverReason(int(fail["reason"][0])) == FailoverReason.HEARTBEAT_TIMEOUT
    assert int(fail["old_writer_pid"][0]) == primary.p.pid
    assert int(fail["new_writer_pid"][0]) == standby.p.pid
    assert int(fail["silent_ns"][0]) >= timeout_s * 1e9
    after = recs[recs["seq"] > fail["seq"][0]]
    beats = as_kind(after[after["kind"] == Kind.HEARTBEAT], Kind.HEARTBEAT)
    assert len(beats) >= 3 and set(beats["pid"].tolist()) == {standby.p.pid}
    assert int(recs["kind"][-1]) == Kind.RUN_ENDED
    out = ringbus_process("verify", journal, "--reexecute")
    assert out.returncode == 0, out.stdout + out.stderr
    assert timeout_s - 0.2 <= takeover_s < timeout_s + 5.0, takeover_s
    print(f"takeover {takeover_s:.2f} s after the sandbox hung (timeout {timeout_s} s)")
