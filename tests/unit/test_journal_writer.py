"""The journal writer: batching, order checks, durability modes, map growth, the writer lock."""

from __future__ import annotations

import time

import numpy as np
import pytest

from journal import (
    Journal,
    JournalFullError,
    JournalReader,
    JournalWriter,
    SequenceGapError,
    TimestampOrderError,
    WriterClosedError,
    WriterLockedError,
)
from journal.synth import quote_records, write_quotes


def read_all(path) -> np.ndarray:
    with Journal.open(path) as journal:
        return JournalReader(journal).records_between()


def test_records_given_one_at_a_time_are_stored_in_large_values(tmp_path):
    records = quote_records(1, 1000)
    with JournalWriter(tmp_path / "j", "none", value_records=256) as writer:
        for i in range(1000):
            writer.on_batch(records[i : i + 1])
    with Journal.open(tmp_path / "j") as journal:
        reader = JournalReader(journal)
        assert reader.batch_count() == 4
        assert reader.records_between().tobytes() == records.tobytes()


def test_a_seq_gap_is_refused_naming_the_seq_and_nothing_of_the_call_is_accepted(tmp_path):
    records = quote_records(1, 10)
    with JournalWriter(tmp_path / "j", "sync") as writer:
        writer.on_batch(records[:5])
        bad = records[5:].copy()
        bad["seq"][2] = 42
        with pytest.raises(SequenceGapError, match="seq 42 given where seq 8") as info:
            writer.on_batch(bad)
        assert info.value.seq == 42
        writer.on_batch(records[5:])
    assert read_all(tmp_path / "j").tobytes() == records.tobytes()


def test_a_ts_init_going_backwards_is_refused_naming_the_seq(tmp_path):
    records = quote_records(1, 10)
    records["ts_init"][6] = records["ts_init"][5] - 1
    with JournalWriter(tmp_path / "j", "sync") as writer, pytest.raises(
        TimestampOrderError, match="seq 7 has ts_init"
    ):
        writer.on_batch(records)


def test_sync_mode_commits_on_every_flush(tmp_path):
    with JournalWriter(tmp_path / "j", "sync") as writer:
        writer.on_batch(quote_records(1, 3))
        assert writer.committed_seq == 0
        assert writer.flush() == 3
        writer.on_batch(quote_records(4, 1))
        assert writer.flush() == 4


def test_batch_mode_commits_after_enough_records_or_wall_time(tmp_path):
    with JournalWriter(tmp_path / "j", "batch", batch_records=100, batch_ns=200_000_000) as writer:
        writer.on_batch(quote_records(1, 60))
        assert writer.flush() == 0
        writer.on_batch(quote_records(61, 60))
        assert writer.flush() == 120
        writer.on_batch(quote_records(121, 1, step_ns=10**9))
        writer.on_batch(quote_records(122, 1, ts0_ns=2 * 10**18))  # data time leaps: no commit
        assert writer.flush() == 120
        time.sleep(0.25)  # the oldest uncommitted record has waited batch_ns of wall time
        assert writer.flush() == 122


def test_none_mode_commits_in_large_chunks_and_close_commits_the_rest(tmp_path):
    with JournalWriter(tmp_path / "j", "none", none_commit_records=500) as writer:
        records = quote_records(1, 1200)
        for i in range(0, 1200, 100):
            writer.on_batch(records[i : i + 100])
            writer.flush()
        assert writer.committed_seq == 1000
    assert len(read_all(tmp_path / "j")) == 1200


def test_a_writer_on_an_existing_journal_continues_at_last_seq_plus_one(tmp_path):
    write_quotes(tmp_path / "j", 500, durability="sync")
    with JournalWriter(tmp_path / "j", "sync") as writer:
        assert writer.next_seq == 501
        assert writer.committed_seq == 500
        with pytest.raises(SequenceGapError):
            writer.on_batch(quote_records(1, 1))
    write_quotes(tmp_path / "j", 10)
    stored = read_all(tmp_path / "j")
    assert stored["seq"].tolist() == list(range(1, 511))


def test_the_map_grows_automatically(tmp_path):
    records = write_quotes(tmp_path / "j", 50_000, chunk=5000, map_size=1 << 20)
    assert read_all(tmp_path / "j").tobytes() == records.tobytes()


def test_a_map_that_cannot_grow_stops_the_writer_and_keeps_a_clean_prefix(tmp_path):
    writer = JournalWriter(tmp_path / "j", "sync", map_size=1 << 20, max_map_size=1 << 20)
    records = quote_records(1, 20_000)
    committed = 0
    with pytest.raises(JournalFullError, match="max_map_size"):
        for i in range(0, 20_000, 1000):
            writer.on_batch(records[i : i + 1000])
            committed = writer.flush()
    with pytest.raises(WriterClosedError):
        writer.on_batch(records[:1])
    stored = read_all(tmp_path / "j")
    assert 0 < committed == len(stored)
    assert stored.tobytes() == records[:committed].tobytes()


def test_a_second_writer_in_the_same_process_is_refused_naming_the_holder_pid(tmp_path):
    import os

    with JournalWriter(tmp_path / "j", "sync"):
        with pytest.raises(WriterLockedError, match=f"pid {os.getpid()}") as info:
            JournalWriter(tmp_path / "j", "sync")
        assert info.value.holder_pid == os.getpid()
    JournalWriter(tmp_path / "j", "sync").close()  # released on close


def test_an_unknown_durability_mode_is_refused(tmp_path):
    with pytest.raises(ValueError, match="durability must be one of"):
        JournalWriter(tmp_path / "j", "fast")


def test_a_closed_writer_refuses_records(tmp_path):
    writer = JournalWriter(tmp_path / "j", "none")
    writer.close()
    with pytest.raises(WriterClosedError):
        writer.on_batch(quote_records(1, 1))


def test_records_must_be_128_byte_records(tmp_path):
    with JournalWriter(tmp_path / "j", "none") as writer, pytest.raises(ValueError, match="128"):
        writer.on_batch(np.zeros(4, dtype=np.int64))


def test_one_record_calls_refuse_a_gap_and_backward_time_naming_the_seq(tmp_path):
    records = quote_records(1, 4)
    with JournalWriter(tmp_path / "j", "sync") as writer:
        writer.on_batch(records[0:1])
        with pytest.raises(SequenceGapError, match="seq 3 given where seq 2"):
            writer.on_batch(records[2:3])
        back = records[1:2].copy()
        back["ts_init"] = records["ts_init"][0] - 1
        with pytest.raises(TimestampOrderError, match="seq 2 has ts_init"):
            writer.on_batch(back)
        for i in range(1, 4):
            writer.on_batch(records[i : i + 1])
    assert read_all(tmp_path / "j").tobytes() == records.tobytes()


def test_one_record_calls_commit_every_none_commit_records_in_mode_none(tmp_path):
    records = quote_records(1, 10)
    with JournalWriter(tmp_path / "j", "none", none_commit_records=4) as writer:
        for i in range(10):
            writer.on_batch(records[i : i + 1])
            assert writer.committed_seq == (i + 1) // 4 * 4
