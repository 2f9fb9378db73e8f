"""Faults while running (issue 18, item 2, journal side): a full disk or a file size limit is
JournalFullError in every durability mode with the longest valid prefix kept; a second writer
gets one line naming the holder; inspect labels runs by their end reason and exits 1 on a
record kind it does not know."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

from domain.codec import encode
from domain.enums import RunEndReason
from domain.kinds import Kind
from journal import JournalFullError, JournalWriter
from journal.runs import RunManifest
from journal.synth import quote_records, run_started
from journal.verify import VerifyStatus, verify_journal
from tests.faults.damage import ROOT, ringbus
from tests.faults.test_journal_crash import spawn

TS = 1_700_000_000_000_000_000


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 2 MiB tmpfs (needs root and mount(2); skipped elsewhere)."""
    mount = tmp_path / "fs"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def stored_records(path: Path) -> np.ndarray:
    from journal import Journal, JournalReader

    with Journal.open(path) as journal:
        return JournalReader(journal).records_between()


@pytest.mark.parametrize("durability", ["none", "batch", "sync"])
def test_disk_full_is_journal_full_error_in_every_mode_and_keeps_the_longest_prefix(
        small_tmpfs, durability):
    path = small_tmpfs / "j"
    records = quote_records(1, 40_000)
    writer = JournalWriter(path, durability)
    with pytest.raises(JournalFullError, match="disk full") as info:
        for i in range(0, len(records), 1000):
            writer.on_batch(records[i : i + 1000])
            writer.flush()
        writer.close()
    committed = writer.committed_seq
    assert f"keeps records 1..{committed}" in str(info.value)
    with pytest.raises(JournalFullError):  # the writer stays stopped, naming the cause
        writer.on_batch(records[committed : committed + 1])
    stored = stored_records(path)
    assert 4000 < committed == len(stored)  # at least one 4095-record value fitted
    assert stored.tobytes() == records[:committed].tobytes()
    result = verify_journal(path)
    assert result.status == VerifyStatus.CLEAN and result.last_seq == committed
    assert result.high_water_seq == committed


WRITE_UNTIL_FULL = """
import resource, sys
from journal import JournalFullError, JournalWriter
from journal.synth import quote_records
resource.setrlimit(resource.RLIMIT_FSIZE, (3 << 20, 3 << 20))
writer = JournalWriter(sys.argv[1], sys.argv[2])
try:
    while True:
        writer.on_batch(quote_records(writer.next_seq, 1000))
        writer.flush()
except JournalFullError as exc:
    print(writer.committed_seq, exc, flush=True)
"""


@pytest.mark.parametrize("durability", ["none", "sync"])
def test_a_file_size_limit_is_journal_full_error_and_keeps_a_valid_prefix(tmp_path, durability):
    path = tmp_path / "j"
    proc = subprocess.run([sys.executable, "-c", WRITE_UNTIL_FULL, str(path), durability],
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-800:]
    committed = int(proc.stdout.split()[0])
    assert "file size limit" in proc.stdout or "disk full" in proc.stdout, proc.stdout
    stored = stored_records(path)
    assert 4000 < committed == len(stored)
    assert stored.tobytes() == quote_records(1, committed).tobytes()
    assert verify_journal(path).status == VerifyStatus.CLEAN


def test_a_second_writer_gets_one_line_naming_the_holder_pid_and_exit_2(tmp_path):
    journal = tmp_path / "held"
    holder = spawn("hold", str(journal))
    try:
        assert holder.stdout.readline().strip() == "ready"
        data = ROOT / "replay" / "demo_data" / "eurusd-histdata-20200101.csv.gz"
        outcome = ringbus("backtest", "--strategy", "ema_cross", "--data", str(data),
                          "--journal", str(journal))
    finally:
        holder.kill()
        holder.wait()
    assert outcome.returncode == 2 and not outcome.traceback, outcome.stderr
    lines = outcome.stderr.strip().splitlines()
    assert len(lines) == 1 and f"pid {holder.pid}" in lines[0], outcome.stderr


def ts(seq: int) -> int:
    return TS + (seq - 1) * 1000  # as quote_records(ts0_ns=TS) stamps seq


def run_ended(run_id: int, seq: int, reason: int) -> np.ndarray:
    return encode(Kind.RUN_ENDED, seq=seq, ts_init=ts(seq), ts_event=ts(seq), run_id=run_id,
                  n_records=0, reason=reason)


def test_inspect_labels_each_run_by_its_end_reason(tmp_path):
    path = tmp_path / "j"
    manifests = [RunManifest(config={"n": n}, seed=n) for n in range(4)]
    reasons = [RunEndReason.FAULTED, RunEndReason.STOPPED, RunEndReason.CLEAN, 77]
    with JournalWriter(path, "sync") as writer:
        for n, (manifest, reason) in enumerate(zip(manifests, reasons, strict=True)):
            writer.on_batch(run_started(manifest, writer.next_seq, ts(writer.next_seq), n + 1))
            writer.on_batch(quote_records(writer.next_seq, 10, ts0_ns=TS))
            writer.on_batch(run_ended(manifest.run_id, writer.next_seq, int(reason)))
    outcome = ringbus("inspect", "--json", str(path))
    assert outcome.returncode == 0, outcome.stderr
    runs = json.loads(outcome.stdout)["runs"]
    assert [r["end_state"] for r in runs] == ["FAULTED", "STOPPED", "CLEAN", "REASON_77"]
    text = ringbus("inspect", str(path)).stdout
    assert "FAULTED" in text and "STOPPED" in text


def test_inspect_exits_1_on_an_unknown_record_kind(tmp_path):
    path = tmp_path / "j"
    records = quote_records(1, 20)
    records["kind"][7] = 999  # no kind has this code
    with JournalWriter(path, "sync") as writer:
        writer.on_batch(records)
    outcome = ringbus("inspect", "--json", str(path))
    assert outcome.returncode == 1 and not outcome.traceback, outcome.stderr
    assert json.loads(outcome.stdout)["unknown_kinds"] == {"999": 8}
    outcome = ringbus("inspect", str(path))
    assert outcome.returncode == 1 and "unknown record kind 999 at seq 8" in outcome.stderr


def test_a_writer_stopped_by_a_full_map_keeps_its_prefix_and_the_high_water_mark(tmp_path):
    path = tmp_path / f"j-{uuid.uuid4().hex[:6]}"
    writer = JournalWriter(path, "none", map_size=1 << 20, max_map_size=1 << 20)
    with pytest.raises(JournalFullError, match="max_map_size"):
        for _ in range(40):
            writer.on_batch(quote_records(writer.next_seq, 1000))
            writer.flush()
        writer.close()
    result = verify_journal(path)
    assert result.status == VerifyStatus.CLEAN
    assert result.last_seq == writer.committed_seq == result.high_water_seq > 0


@pytest.mark.parametrize("durability", ["none", "batch", "sync"])
def test_a_backtest_on_a_full_disk_ends_with_one_line_and_leaves_a_recoverable_prefix(
        small_tmpfs, durability):
    journal = small_tmpfs / "j"
    data = ROOT / "replay" / "demo_data" / "eurusd-histdata-20200101.csv.gz"
    outcome = ringbus("backtest", "--strategy", "ema_cross", "--data", str(data), "--journal",
                      str(journal), "--durability", durability, "--quiet")
    assert outcome.returncode == 1 and not outcome.traceback, outcome.stderr[-1200:]
    assert "journal full" in outcome.stderr and "keeps records 1.." in outcome.stderr
    result = verify_journal(journal)
    assert result.status == VerifyStatus.CRASHED_RUN and result.last_seq > 4000, result
