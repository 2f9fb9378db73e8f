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
