"""The journal reader: ranges, random access, search by ts_init, empty journals."""

from __future__ import annotations

import numpy as np
import pytest

from journal import Journal, JournalReader
from journal.synth import write_quotes


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    path = tmp_path_factory.mktemp("reader") / "j"
    records = write_quotes(path, 10_000, chunk=777, durability="none", value_records=1000)
    with Journal.open(path) as journal:
        yield JournalReader(journal), records


def test_batches_yield_exactly_the_requested_seq_range(stored):
    reader, records = stored
    for lo, hi in [(1, 10_000), (1, 1), (999, 1001), (1000, 2000), (5555, None), (9_999, 20_000)]:
        got = np.concatenate(list(reader.batches(lo, hi)))
        top = 10_000 if hi is None else min(hi, 10_000)
        assert got["seq"].tolist() == list(range(lo, top + 1))
        assert got.tobytes() == records[lo - 1 : top].tobytes()


def test_batches_beyond_the_end_yield_nothing(stored):
    reader, _ = stored
    assert list(reader.batches(10_001)) == []


def test_record_returns_any_seq_and_none_outside(stored):
    reader, records = stored
    for seq in [1, 2, 999, 1000, 1001, 7777, 10_000]:
        assert reader.record(seq).tobytes() == records[seq - 1 : seq].tobytes()
    assert reader.record(0) is None
    assert reader.record(10_001) is None


def test_seq_at_or_after_ts_finds_the_first_record_at_or_after_a_time(stored):
    reader, records = stored
    ts = records["ts_init"]
    for i in [0, 1, 999, 1000, 4321, 9999]:
        assert reader.seq_at_or_after_ts(int(ts[i])) == i + 1
        assert reader.seq_at_or_after_ts(int(ts[i]) - 1) == i + 1
    assert reader.seq_at_or_after_ts(int(ts[-1]) + 1) is None
    assert reader.seq_at_or_after_ts(0) == 1


def test_first_and_last_seq_and_counts(stored):
    reader, _ = stored
    assert (reader.first_seq(), reader.last_seq(), reader.batch_count()) == (1, 10_000, 10)


def test_an_empty_journal_reads_as_empty(tmp_path):
    from journal import JournalWriter

    JournalWriter(tmp_path / "j").close()
    with Journal.open(tmp_path / "j") as journal:
        reader = JournalReader(journal)
        assert (reader.first_seq(), reader.last_seq()) == (0, 0)
        assert list(reader.batches()) == []
        assert reader.record(1) is None
        assert reader.seq_at_or_after_ts(0) is None


def test_a_reader_sees_commits_made_after_it_opened(tmp_path):
    from journal import JournalWriter
    from journal.synth import quote_records

    with JournalWriter(tmp_path / "j", "sync") as writer:
        writer.on_batch(quote_records(1, 10))
        writer.flush()
        reader = JournalReader(writer.journal)  # py-lmdb allows one env per path and process
        assert reader.last_seq() == 10
        writer.on_batch(quote_records(11, 5))
        writer.flush()
        assert reader.last_seq() == 15
        assert len(reader.records_between(1)) == 15
