"""Merging a NautilusTrader catalog's streams by ts_init (``replay.sources.merge``, which the
import uses) equals a stable sort of all of them, taken in stream order, whatever the chunking."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from domain.kinds import RECORD_DTYPE
from replay.sources import merge as merge_by_ts_init

times = st.lists(st.integers(0, 6), max_size=12).map(sorted)
chunkings = st.lists(st.integers(0, 4), max_size=8)


def _chunks(ts: list[int], sizes: list[int], tag: int) -> list[np.ndarray]:
    out = np.zeros(len(ts), RECORD_DTYPE)
    out["ts_init"], out["source"], out["seq"] = ts, tag, np.arange(len(ts))
    parts, at = [], 0
    for size in sizes:
        parts.append(out[at:at + size])
        at += size
    return [*parts, out[at:]]


@given(st.lists(st.tuples(times, chunkings), min_size=1, max_size=4))
def test_merge_is_the_stable_sort_of_the_streams_in_order(streams) -> None:
    chunked = [_chunks(ts, sizes, tag) for tag, (ts, sizes) in enumerate(streams)]
    merged = list(merge_by_ts_init([iter(c) for c in chunked]))
    got = np.concatenate(merged) if merged else np.zeros(0, RECORD_DTYPE)
    every = np.concatenate([c for chunks in chunked for c in chunks])
    want = every[np.argsort(every["ts_init"], kind="stable")]
    assert got.tobytes() == want.tobytes()
