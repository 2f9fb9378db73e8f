"""Property: whatever the chunking, value size and flush pattern, the journal reads back what
was written, and random access and time search agree with the array."""

from __future__ import annotations

import shutil
import tempfile

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from journal import Journal, JournalReader, JournalWriter
from journal.synth import quote_records


@st.composite
def plans(draw):
    n = draw(st.integers(1, 3000))
    cuts = sorted(draw(st.lists(st.integers(1, n - 1), max_size=20, unique=True))) if n > 1 else []
    steps = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))  # ts_init steps, 0 = equal
    return {
        "n": n,
        "cuts": cuts,
        "steps": steps,
        "value_records": draw(st.integers(1, 600)),
        "durability": draw(st.sampled_from(["sync", "batch", "none"])),
        "reopen_at": draw(st.sampled_from([None, *cuts])) if cuts else None,
    }


@given(plans())
def test_the_journal_reads_back_exactly_what_was_written(plan):
    records = quote_records(1, plan["n"])
    records["ts_init"] = 1_000 + np.cumsum(plan["steps"])
    path = tempfile.mkdtemp(prefix="jprop")
    try:
        bounds = [0, *plan["cuts"], plan["n"]]
        writer = JournalWriter(path, plan["durability"], value_records=plan["value_records"],
                               batch_records=97, none_commit_records=500, notify=False)
        for lo, hi in zip(bounds, bounds[1:], strict=False):
            if lo == plan["reopen_at"]:
                writer.close()
                writer = JournalWriter(path, plan["durability"],
                                       value_records=plan["value_records"], notify=False)
                assert writer.next_seq == lo + 1
            writer.on_batch(records[lo:hi])
            writer.flush()
        writer.close()
        with Journal.open(path) as journal:
            reader = JournalReader(journal)
            assert reader.records_between().tobytes() == records.tobytes()
            assert reader.last_seq() == plan["n"]
            for seq in {1, plan["n"], (plan["n"] + 1) // 2, *[c + 1 for c in plan["cuts"]]}:
                assert reader.record(seq).tobytes() == records[seq - 1 : seq].tobytes()
            ts = records["ts_init"]
            for probe in {int(ts[0]), int(ts[-1]), int(ts[len(ts) // 3]) + 1, int(ts[-1]) + 1}:
                i = int(np.searchsorted(ts, probe, side="left"))
                assert reader.seq_at_or_after_ts(probe) == (i + 1 if i < len(ts) else None)
    finally:
        shutil.rmtree(path)
