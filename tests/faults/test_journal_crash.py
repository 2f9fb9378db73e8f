"""A sync writer killed with SIGKILL at random moments leaves a sound, complete prefix."""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from journal import Journal, JournalReader, JournalWriter
from journal.verify import VerifyStatus, verify_journal
from tests.faults.journal_proc import chunk_sizes

HELPER = Path(__file__).with_name("journal_proc.py")
ROOT = Path(__file__).resolve().parents[2]


def spawn(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(HELPER), *args], stdout=subprocess.PIPE,
                            text=True, env=env, cwd=ROOT)


def kill_trial(path: Path, seed: int) -> None:
    delay_s = random.Random(seed).uniform(0.0, 0.4)
    proc = spawn("write", str(path), str(seed), "100000")
    reported = [0]
    first = proc.stdout.readline()
    assert first.startswith("committed"), first
    reported.append(int(first.split()[1]))
    deadline = time.monotonic() + delay_s
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("committed"):
            reported.append(int(line.split()[1]))
    proc.send_signal(signal.SIGKILL)
    rest = proc.stdout.read()
    proc.wait()
    reported += [int(line.split()[1]) for line in rest.splitlines() if line.startswith("committed")]
    boundaries = set(itertools.accumulate(chunk_sizes(seed, 100000)[: len(reported) + 2]))

    result = verify_journal(path)
    assert result.status in (VerifyStatus.CLEAN, VerifyStatus.CRASHED_RUN), result
    with Journal.open(path) as journal:
        stored = JournalReader(journal).records_between()
    last = len(stored)
    assert stored["seq"].tolist() == list(range(1, last + 1))
    assert last >= max(reported), "a commit that had returned before the kill is missing"
    assert last in boundaries, f"journal ends at seq {last}, not at a batch boundary"
    with JournalWriter(path, "sync") as writer:  # the dead writer's lock is taken over
        assert writer.next_seq == last + 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_sync_writer_killed_at_a_random_moment_leaves_a_complete_prefix(tmp_path, seed):
    kill_trial(tmp_path / "j", seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 125))
def test_many_sigkill_trials_always_leave_a_complete_prefix(tmp_path, seed):
    kill_trial(tmp_path / "j", seed)
