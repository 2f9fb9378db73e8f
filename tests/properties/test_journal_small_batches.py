"""Property: the writer's plain-int path for short batches (``_take_small``) accepts, refuses and
indexes exactly what its numpy path does, whatever the chunking, run markers and defects."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import journal.writer as writer_module
from domain.kinds import Kind
from journal import Journal, JournalReader, JournalWriter
from journal.runs import run_markers
from journal.synth import quote_records


@st.composite
def plans(draw):
    n = draw(st.integers(1, 200))
    sizes = draw(st.lists(st.integers(1, 40), min_size=1, max_size=60))
    return {
        "n": n,
        "sizes": sizes,
        "steps": draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)),
        "markers": draw(st.lists(st.integers(0, n - 1), max_size=3, unique=True)),
        "defect": draw(st.sampled_from([None, "gap", "back"])),
        "at": draw(st.integers(0, n - 1)),
        "value_records": draw(st.integers(1, 64)),
    }


def _records(plan: dict) -> np.ndarray:
    records = quote_records(1, plan["n"])
    records["ts_init"] = 1_000 + np.cumsum(plan["steps"])
    for i in plan["markers"]:
        records["kind"][i] = int(Kind.RUN_STARTED)
    at = plan["at"]
    if plan["defect"] == "gap":
        records["seq"][at] += 7
    elif plan["defect"] == "back" and at > 0:
        records["ts_init"][at] = records["ts_init"][at - 1] - 1
    return records


def _write(path: Path, records: np.ndarray, plan: dict) -> tuple[bytes, list[int], str]:
    """Writes ``records`` in the plan's chunks; returns (stored bytes, run marker seqs, error)."""
    error = ""
    with JournalWriter(path, "none", value_records=plan["value_records"], notify=False) as w:
        start, sizes = 0, list(plan["sizes"])
        while start < len(records):
            size = sizes.pop(0) if sizes else len(records) - start
            try:
                w.on_batch(records[start : start + size])
            except Exception as exc:  # both paths must raise the same error, then stop
                error = f"{type(exc).__name__}: {exc}".replace(str(path), "<journal>")
                break
            start += size
    with Journal.open(path) as journal:
        stored = JournalReader(journal).records_between().tobytes() if \
            JournalReader(journal).last_seq() else b""
        markers = run_markers(journal)["seq"].tolist()
    return stored, markers, error


@given(plans())
def test_short_batches_are_taken_refused_and_indexed_as_the_numpy_path_does(plan):
    records = _records(plan)
    root = Path(tempfile.mkdtemp(prefix="jsmall"))
    fast = _write(root / "fast", records, plan)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(writer_module, "_SMALL", 0)  # every batch takes the numpy path
        slow = _write(root / "slow", records, plan)
    assert fast == slow
    if plan["defect"] is None:
        assert fast[0] == records.tobytes()
