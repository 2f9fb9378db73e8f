"""The sync writer's committer thread (a live node's loop, issue 14): ``flush`` hands records
over and returns, ``committed_seq`` follows only as commits are fsynced, ``commit`` waits for
everything; the journal holds the same records as with inline commits."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from journal import Journal, JournalFullError, JournalReader, JournalWriter
from journal.synth import quote_records


def _read(path) -> np.ndarray:
    with Journal.open(path) as journal:
        return JournalReader(journal).records_between()


def test_flush_hands_over_and_commit_waits_for_every_record(tmp_path) -> None:
    records = quote_records(1, 500)
    writer = JournalWriter(tmp_path / "j", "sync", value_records=64)
    writer.start_committer()
    for i in range(0, 500, 5):
        writer.on_batch(records[i : i + 5])
        assert writer.flush() <= i + 5  # never ahead of what was received
    assert writer.commit() == 500 and writer.committed_seq == 500
    assert JournalReader(writer.journal).records_between().tobytes() == records.tobytes()
    writer.on_batch(quote_records(501, 10))
    writer.flush()
    assert writer.stop_committer() == 510  # stopping commits what was handed over
    writer.on_batch(quote_records(511, 3))
    writer.flush()  # inline again
    assert writer.committed_seq == 513
    writer.close()
    assert _read(tmp_path / "j").tobytes() == quote_records(1, 513).tobytes()


def test_the_flushing_thread_does_not_wait_for_the_commit(tmp_path) -> None:
    writer = JournalWriter(tmp_path / "j", "sync")
    writer.start_committer()
    gate = threading.Event()
    store = writer._store

    def slow_store(*args, **kwargs):  # the disk is slow: the committer waits at the gate
        gate.wait(10)
        store(*args)

    writer._store = slow_store
    writer.on_batch(quote_records(1, 3))
    assert writer.flush() == 0  # handed over, not durable yet: committed_seq stays
    writer.on_batch(quote_records(4, 2))
    assert writer.flush() == 0
    waiter = threading.Thread(target=writer.commit)
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive()  # commit waits for the disk
    gate.set()
    waiter.join(10)
    assert writer.committed_seq == 5
    writer.close()
    assert len(_read(tmp_path / "j")) == 5


def test_a_committer_needs_sync_durability(tmp_path) -> None:
    with JournalWriter(tmp_path / "j", "batch") as writer, \
            pytest.raises(ValueError, match="needs durability 'sync', got 'batch'"):
        writer.start_committer()


def test_a_failed_commit_on_the_committer_reaches_the_writer_and_keeps_a_clean_prefix(
        tmp_path) -> None:
    writer = JournalWriter(tmp_path / "j", "sync", map_size=1 << 20, max_map_size=1 << 20)
    writer.start_committer()
    records = quote_records(1, 20_000)
    with pytest.raises(JournalFullError, match="max_map_size"):
        for i in range(0, 20_000, 500):
            writer.on_batch(records[i : i + 500])
            writer.commit()
    with pytest.raises(JournalFullError):
        writer.stop_committer()
    kept = _read(tmp_path / "j")
    assert 0 < len(kept) < 20_000 and kept.tobytes() == records[: len(kept)].tobytes()
