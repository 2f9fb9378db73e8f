"""JournalWriter ``fsync_apart`` (durability ``sync`` for the live node and its FIX session
store): an LMDB commit without fsync, then one fdatasync, inline or on the committer thread;
``committed_seq`` is the process-crash-safe point, ``durable_seq`` the fsynced one, and the
high-water mark never passes ``durable_seq``."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from journal import Journal, JournalReader, JournalWriter
from journal.highwater import read_mark
from journal.synth import quote_records
from tests.unit.journal_kill import kill_after_commit


def _read(path: Path):
    with Journal.open(path) as journal:
        return JournalReader(journal).records_between()


class _SlowDisk:
    """The writer's LMDB environment with an fsync that waits for ``gate`` (a slow disk)."""

    def __init__(self, env, gate: threading.Event) -> None:
        self._env, self.gate, self.syncs = env, gate, 0

    def sync(self, force: bool = False) -> None:
        self.gate.wait(10)
        self._env.sync(force)
        self.syncs += 1

    def __getattr__(self, name: str):
        return getattr(self._env, name)


def test_only_sync_durability_fsyncs_apart(tmp_path: Path) -> None:
    for durability in ("batch", "none"):
        with pytest.raises(ValueError, match="fsync_apart needs durability 'sync'"):
            JournalWriter(tmp_path / durability, durability, fsync_apart=True)


def test_inline_it_holds_the_same_records_and_is_durable_after_each_commit(
        tmp_path: Path) -> None:
    records = quote_records(1, 300)
    apart = JournalWriter(tmp_path / "apart", "sync", value_records=64, fsync_apart=True)
    plain = JournalWriter(tmp_path / "plain", "sync", value_records=64)
    for i in range(0, 300, 7):
        for writer in (apart, plain):
            writer.on_batch(records[i : i + 7])
            writer.flush()
        assert apart.committed_seq == apart.durable_seq == plain.committed_seq
    apart.close()
    plain.close()
    assert _read(tmp_path / "apart").tobytes() == _read(tmp_path / "plain").tobytes() \
        == records.tobytes()
    assert read_mark(tmp_path / "apart") == read_mark(tmp_path / "plain")


def test_the_committer_makes_the_commit_known_before_its_fsync_and_the_mark_waits_for_it(
        tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path / "j", "sync", fsync_apart=True)
    gate = threading.Event()
    writer.journal.env = disk = _SlowDisk(writer.journal.env, gate)
    writer.start_committer()
    writer.on_batch(quote_records(1, 3))
    assert writer.commit() == 3  # committed (a killed process keeps it), not fsynced yet
    assert writer.durable_seq == 0
    writer.settle()
    assert read_mark(tmp_path / "j").last_seq == 0  # never past what is fsynced
    waiter = threading.Thread(target=writer.wait_durable, args=(3,))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive()  # the order's bytes wait for the disk
    gate.set()
    waiter.join(10)
    assert not waiter.is_alive() and writer.durable_seq == 3 and disk.syncs >= 1
    deadline = time.monotonic() + 10  # the committer settles right after its fsync
    while read_mark(tmp_path / "j").last_seq != 3 and time.monotonic() < deadline:
        time.sleep(0.001)
    assert read_mark(tmp_path / "j").last_seq == 3
    writer.on_batch(quote_records(4, 2))
    writer.commit()
    writer.close()  # fsyncs and settles what is left, ends the thread
    assert writer._committer is None and read_mark(tmp_path / "j").last_seq == 5
    assert _read(tmp_path / "j").tobytes() == quote_records(1, 5).tobytes()


def test_a_failed_fsync_is_raised_to_whoever_waits_for_it(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path / "j", "sync", fsync_apart=True)

    class _BrokenDisk(_SlowDisk):
        def sync(self, force: bool = False) -> None:
            raise OSError(5, "Input/output error")

    writer.journal.env = _BrokenDisk(writer.journal.env, threading.Event())
    writer.start_committer()
    writer.on_batch(quote_records(1, 2))
    with pytest.raises(OSError, match="Input/output error"):  # the commit's waiter, or the
        writer.commit()                                       # fsync's, whichever waits after
        writer.wait_durable(2)
    writer.journal.env = writer.journal.env._env
    with pytest.raises(OSError):
        writer.stop_committer()
    writer.close()


_CHILD = """
import sys, threading
from journal import JournalWriter
from journal.synth import quote_records
writer = JournalWriter(sys.argv[1], "sync", fsync_apart=True)
writer.start_committer()
for chunk in range(99):
    writer.on_batch(quote_records(writer.next_seq, 7))
    writer.commit()
class Stuck:  # from now the disk never finishes an fsync: the last commit is not fsynced
    def __init__(self, env): self._env = env
    def sync(self, force=False): threading.Event().wait()
    def __getattr__(self, name): return getattr(self._env, name)
writer.journal.env = Stuck(writer.journal.env)
writer.on_batch(quote_records(writer.next_seq, 7))
print("committed", writer.commit(), "durable", writer.durable_seq, flush=True)
threading.Event().wait()
"""


def test_a_killed_process_keeps_every_record_a_commit_committed(tmp_path: Path) -> None:
    path = tmp_path / "j"
    last, words = kill_after_commit(_CHILD, str(path), seq=700)
    assert last == 700 and int(words[3]) < 700  # killed with the last commit not fsynced
    with JournalWriter(path, "sync", fsync_apart=True) as writer:
        assert writer.committed_seq == 700
        assert JournalReader(writer.journal).records_between(1, 700).tobytes() == \
            quote_records(1, 700).tobytes()
