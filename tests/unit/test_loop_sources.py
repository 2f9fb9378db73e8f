"""Source merging by ts_init."""

from __future__ import annotations

import numpy as np
import pytest

from domain.codec import empty
from domain.kinds import Kind
from replay.sources import SourceOrderError, merge


def recs(ts: list[int], tag: int) -> np.ndarray:
    r = empty(Kind.QUOTE, len(ts))
    r["ts_init"] = ts
    r["source"] = tag
    return r


def test_merge_sorts_by_ts_init_and_keeps_source_order_on_ties() -> None:
    a = [recs([1, 3], 0), recs([3, 5], 0)]
    b = [recs([3, 4], 1)]
    out = np.concatenate(list(merge([a, b], chunk_records=2)))
    assert out["ts_init"].tolist() == [1, 3, 3, 3, 4, 5]
    assert out["source"].tolist() == [0, 0, 0, 1, 1, 0]


def test_a_source_that_goes_back_in_time_is_refused_with_its_index() -> None:
    with pytest.raises(SourceOrderError, match="source 0: record 2 has ts_init 1"):
        list(merge([[recs([1, 2], 0), recs([1], 0)]]))


def test_a_sole_source_is_passed_on_chunk_by_chunk_without_reading_ahead() -> None:
    pulled: list[int] = []

    def chunks():
        for i, ts in enumerate(([1, 2, 2], [2, 3], [4])):
            pulled.append(i)
            yield recs(ts, 0)

    out = merge([chunks()])
    first = next(out)
    assert first["ts_init"].tolist() == [1, 2, 2]  # its tail at ts 2 does not wait for chunk 1
    assert pulled == [0]
    assert [c["ts_init"].tolist() for c in out] == [[2, 3], [4]]


def test_a_source_left_alone_after_another_ends_is_merged_in_order() -> None:
    a = [recs([1], 0)]
    b = [recs([1, 2], 1), recs([2, 5], 1), recs([6], 1)]
    out = np.concatenate(list(merge([a, b])))
    assert out["ts_init"].tolist() == [1, 1, 2, 2, 5, 6]
    assert out["source"].tolist() == [0, 1, 1, 1, 1, 1]
