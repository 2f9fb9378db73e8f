"""The vectorised order checks agree with a record-by-record reference on any seq / ts_init."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from journal.checksum import OK, SEQ_GAP, TS_BACKWARDS, check_order, scan_records
from journal.synth import quote_records

TS = st.integers(-(1 << 63), (1 << 63) - 1)


def reference(seqs: list[int], ts: list[int], first_seq: int, prev_ts: int) -> tuple[int, int]:
    for i, (seq, t) in enumerate(zip(seqs, ts, strict=True)):
        if seq != first_seq + i:
            return i, SEQ_GAP
        if t < prev_ts:
            return i, TS_BACKWARDS
        prev_ts = t
    return -1, OK


@st.composite
def batches(draw: st.DrawFn) -> tuple[np.ndarray, int, int]:
    n = draw(st.integers(1, 40))
    first = draw(st.integers(1, 1 << 40))
    records = quote_records(first, n)
    for i in draw(st.lists(st.integers(0, n - 1), max_size=3)):
        records["seq"][i] = draw(st.integers(0, 1 << 41))
    base = draw(st.lists(st.integers(-1000, 1000), min_size=n, max_size=n))
    records["ts_init"] = np.cumsum(np.maximum(base, draw(st.sampled_from([0, -1000]))))
    if draw(st.booleans()):
        records["ts_init"][draw(st.integers(0, n - 1))] = draw(TS)
    return records, first, draw(st.one_of(st.just(-(1 << 63)), TS))


@given(batches())
def test_the_first_offending_record_matches_a_record_by_record_scan(batch):
    records, first, prev_ts = batch
    words = np.frombuffer(records.tobytes(), dtype=np.uint64)
    expected = reference(
        records["seq"].tolist(), records["ts_init"].tolist(), first, prev_ts
    )
    assert scan_records(words, first, prev_ts)[1:] == expected
    bad, reason, _, last_ts = check_order(words, first, prev_ts, 0, 0)
    assert (bad, reason) == expected
    if bad < 0:
        assert last_ts == int(records["ts_init"][-1])
