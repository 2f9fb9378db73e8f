"""A source that fails in a later chunk (issue 18): merge yields everything that source delivered
before the failure, ties held back for the horizon included, then raises its error."""

from __future__ import annotations

import numpy as np
import pytest

from domain.kinds import RECORD_DTYPE
from replay.sources import merge


def chunk(*ts: int, source: int = 0) -> np.ndarray:
    out = np.zeros(len(ts), RECORD_DTYPE)
    out["ts_init"], out["source"] = ts, source
    return out


def failing(*chunks: np.ndarray):
    yield from chunks
    raise ValueError("bad row in the next chunk")


def test_a_late_error_keeps_the_records_held_at_the_horizon() -> None:
    got = []
    with pytest.raises(ValueError, match="bad row"):
        for part in merge([failing(chunk(1, 2, 3, 3))]):
            got.append(part)
    assert np.concatenate(got)["ts_init"].tolist() == [1, 2, 3, 3]


def test_other_sources_are_flushed_up_to_the_failing_sources_last_time() -> None:
    good = [chunk(1, 5, 6, source=0)]
    got = []
    with pytest.raises(ValueError, match="bad row"):
        for part in merge([good, failing(chunk(2, 5, source=1))]):
            got.append(part)
    out = np.concatenate(got)
    assert list(zip(out["ts_init"].tolist(), out["source"].tolist(), strict=True)) == [
        (1, 0), (2, 1), (5, 0), (5, 1)]


def test_a_source_failing_before_any_record_yields_nothing() -> None:
    with pytest.raises(ValueError, match="bad row"):
        list(merge([[chunk(1, 2)], failing()]))
