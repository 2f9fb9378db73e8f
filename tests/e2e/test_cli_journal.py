"""The inspect / verify / tail commands, run as real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from domain.codec import as_kind
from domain.kinds import Kind
from journal import JournalWriter
from journal.runs import RunManifest, format_run_id
from journal.synth import quote_records, run_ended, run_started

ROOT = Path(__file__).resolve().parents[2]
TS = 1_700_000_000_000_000_000


def ringbus(*args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "replay.cli", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60, **kwargs)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[Path, RunManifest, RunManifest]:
    path = tmp_path_factory.mktemp("cli") / "j"
    a = RunManifest(config={"strategy": "ema", "fast": 10}, seed=1)
    b = RunManifest(config={"strategy": "ema", "fast": 10}, seed=2)
    with JournalWriter(path, "batch") as writer:
        writer.on_batch(run_started(a, 1, TS))
        writer.on_batch(quote_records(writer.next_seq, 500, ts0_ns=TS))
        writer.on_batch(run_ended(a.run_id, writer.next_seq, TS + 10**9))
        writer.on_batch(run_started(b, writer.next_seq, TS + 10**9, 2))
        writer.on_batch(quote_records(writer.next_seq, 100, ts0_ns=TS + 10**9))
    return path, a, b


def test_inspect_json_reports_seqs_kinds_times_runs_size_and_schema(two_runs):
    path, a, b = two_runs
    proc = ringbus("inspect", "--json", str(path))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    n_start = len(a.to_records(1))
    assert doc["first_seq"] == 1 and doc["last_seq"] == doc["n_records"] == 2 * n_start + 601
    assert doc["counts_by_kind"] == {"QUOTE": 600, "RUN_STARTED": 2, "RUN_ENDED": 1,
                                     "STRING": 2 * (n_start - 1)}
    assert doc["time_range"]["first_ts_init"] == TS
    assert doc["time_range"]["first_iso"] == "2023-11-14T22:13:20.000000000Z"
    assert [(r["run_id"], r["end_state"]) for r in doc["runs"]] == [
        (format_run_id(a.run_id), "CLEAN"), (format_run_id(b.run_id), "CRASHED")]
    assert doc["runs"][0]["manifest"]["config"] == {"fast": 10, "strategy": "ema"}
    assert doc["durability"] == "batch"
    assert doc["size_on_disk_bytes"] > 0
    assert len(doc["schema_fingerprint"]) == 16


def test_inspect_prints_a_readable_summary(two_runs):
    proc = ringbus("inspect", str(two_runs[0]))
    assert proc.returncode == 0
    assert "QUOTE" in proc.stdout and "CRASHED" in proc.stdout and "seq          1.." in proc.stdout


def test_verify_reports_a_crashed_last_run_and_exits_0(two_runs):
    path, _, b = two_runs
    proc = ringbus("verify", "--json", str(path))
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert doc["status"] == "CRASHED_RUN" and doc["crashed_runs"] == [format_run_id(b.run_id)]


def test_verify_of_a_missing_path_exits_2(tmp_path):
    assert ringbus("verify", str(tmp_path / "missing")).returncode == 2


def test_tail_prints_each_record_as_it_is_committed_and_ends_cleanly_on_sigterm(tmp_path):
    path = tmp_path / "j"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with JournalWriter(path, "sync") as writer:
        writer.on_batch(quote_records(1, 5))
        writer.flush()
        proc = subprocess.Popen(
            [sys.executable, "-m", "replay.cli", "tail", "--json", "--from-seq", "3", str(path)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        lines = [json.loads(proc.stdout.readline()) for _ in range(3)]
        assert [line["seq"] for line in lines] == [3, 4, 5]
        writer.on_batch(quote_records(6, 2))
        writer.flush()
        lines = [json.loads(proc.stdout.readline()) for _ in range(2)]
        assert [(line["seq"], line["kind_name"]) for line in lines] == [(6, "QUOTE"), (7, "QUOTE")]
        q = as_kind(quote_records(6, 1), Kind.QUOTE)[0]  # decoded: a decimal string, never raw
        assert lines[0]["bid"] == str(Decimal(int(q["bid"])).scaleb(-int(q["price_precision"])))
    time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
