"""JournalWriter ``fsync_behind`` (durability ``batch`` for the live node): commits do not fsync
on the committing thread; a background thread fsyncs them (and the high-water mark)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from journal import JournalReader, JournalWriter
from journal.highwater import read_mark
from journal.synth import quote_records
from tests.unit.journal_kill import kill_after_commit


def test_only_batch_durability_fsyncs_behind(tmp_path: Path) -> None:
    for durability in ("sync", "none"):
        with pytest.raises(ValueError, match="fsync_behind needs durability 'batch'"):
            JournalWriter(tmp_path / durability, durability, fsync_behind=True)


def test_flush_keeps_the_batch_policy_and_a_commit_reads_back_at_once(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path / "j", "batch", batch_records=10, batch_ns=1 << 62,
                           fsync_behind=True)
    recs = quote_records(1, 30)
    seen = []
    for i in range(25):
        writer.on_batch(recs[i : i + 1])
        seen.append(writer.flush())
    assert seen == [0] * 9 + [10] * 10 + [20] * 6  # every batch_records, as without it
    assert writer.commit() == 25  # what the live node calls when an order waits
    assert JournalReader(writer.journal).records_between(1, 25).tobytes() == recs[:25].tobytes()
    writer.close()


def test_the_background_thread_syncs_what_was_committed_and_stops_at_close(
        tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path / "j", "batch", batch_ns=1_000_000, fsync_behind=True)
    syncer = writer._syncer
    assert syncer is not None and syncer._thread.is_alive()
    writer.on_batch(quote_records(1, 10))
    assert writer.commit() == 10  # the fsync thread sees it at its next poll
    deadline = time.monotonic() + 30
    while syncer.synced != (10, 10) and time.monotonic() < deadline:
        time.sleep(0.001)
    assert syncer.synced == (10, 10), "the fsync thread never took the commit"
    writer.close()
    assert not syncer._thread.is_alive() and writer._syncer is None
    mark = read_mark(tmp_path / "j")
    assert mark is not None and mark.last_seq == 10


_CHILD = """
import sys
from journal import JournalWriter
from journal.synth import quote_records
writer = JournalWriter(sys.argv[1], "batch", batch_ns=1 << 62, fsync_behind=True,
                       writemap=sys.argv[2] == "writemap")
for chunk in range(200):
    writer.on_batch(quote_records(writer.next_seq, 7))
    print("committed", writer.commit(), flush=True)
import time
time.sleep(600)
"""


@pytest.mark.parametrize("mapping", ["pwrite", "writemap"])  # the live node's: writemap
def test_a_killed_process_keeps_every_record_a_commit_committed(tmp_path: Path,
                                                                mapping: str) -> None:
    path = tmp_path / "j"
    assert kill_after_commit(_CHILD, str(path), mapping, seq=700)[0] == 700
    writer = JournalWriter(path, "batch", fsync_behind=True)  # reopens after the crash
    assert writer.committed_seq >= 700
    records = JournalReader(writer.journal).records_between(1, 700)
    assert records["seq"].tolist() == list(range(1, 701))
    assert records.tobytes() == np.concatenate(
        [quote_records(first, 7) for first in range(1, 701, 7)]).tobytes()
    writer.close()
