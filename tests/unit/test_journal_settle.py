"""``settle_later`` (a live loop, issue 14): a commit's high-water mark and tailer poke wait
for ``settle``, called once the commit's orders are sent; the mark never leads LMDB and lags
by one commit at most; the records are those of an inline writer."""

from __future__ import annotations

import pytest

from journal import Journal, JournalReader, JournalWriter
from journal.highwater import read_mark
from journal.notify import CommitListener
from journal.synth import quote_records


def test_the_mark_follows_settle_and_the_next_commit(tmp_path) -> None:
    path = tmp_path / "j"
    writer = JournalWriter(path, "batch", fsync_behind=True)
    writer.settle_later = True
    writer.on_batch(quote_records(1, 3))
    assert writer.commit() == 3  # committed (readable, may leave the process) ...
    assert read_mark(path).last_seq == 0  # ... its mark waits for settle
    writer.settle()
    first = read_mark(path)
    assert first.last_seq == 3
    writer.on_batch(quote_records(4, 2))
    writer.commit()
    assert read_mark(path).last_seq == 3
    writer.on_batch(quote_records(6, 1))
    writer.commit()  # settles the commit before it first: the mark lags by one at most
    assert read_mark(path).last_seq == 5
    assert read_mark(path).commits == first.commits + 1
    writer.close()  # settles the last
    assert read_mark(path).last_seq == 6
    with Journal.open(path) as journal:
        assert JournalReader(journal).records_between().tobytes() == \
            quote_records(1, 6).tobytes()


def test_same_mark_as_an_inline_writer(tmp_path) -> None:
    """Settled one commit at a time or at once, the chain and the count are the inline ones."""
    marks = []
    for later, name in ((False, "inline"), (True, "later")):
        writer = JournalWriter(tmp_path / name, "batch", fsync_behind=True)
        writer.settle_later = later
        for first in range(1, 40, 4):
            writer.on_batch(quote_records(first, 4))
            writer.commit()
        writer.close()
        marks.append(read_mark(tmp_path / name))
    assert marks[0] == marks[1]


def test_tailers_are_poked_at_settle(tmp_path) -> None:
    path = tmp_path / "j"
    writer = JournalWriter(path, "batch", fsync_behind=True)
    writer.settle_later = True
    listener = CommitListener(path)
    writer.on_batch(quote_records(1, 2))
    writer.commit()
    assert listener.drain() == 0  # not poked by the commit
    writer.settle()
    assert listener.drain() == 1
    listener.close()
    writer.close()


def test_a_committer_thread_settles_its_own_commits(tmp_path) -> None:
    writer = JournalWriter(tmp_path / "j", "sync")
    writer.settle_later = True
    with pytest.raises(ValueError, match="settle_later"):
        writer.start_committer()
    writer.settle_later = False
    writer.start_committer()
    writer.on_batch(quote_records(1, 5))
    assert writer.commit() == 5
    writer.stop_committer()
    assert read_mark(tmp_path / "j").last_seq == 5
    writer.close()
