"""Snapshot at k + replay of k+1..n == replay of 1..n, on real EUR/USD quotes through ema_cross
and the simulated exchange (DESIGN.md invariants; issue 4 item 4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.kinds import RECORD_DTYPE
from engines.kernel import Kernel
from engines.kernel_snapshot import SnapshotError
from engines.strategies.ema_cross import EmaCross
from tests.conftest import SHARED_DATA
from tests.unit.kernel_rig import SYMBOL, Tape, build, feed, register_all, shared_eurusd

N_QUOTES = 400


def _strategy() -> EmaCross:
    return EmaCross(SYMBOL, fast=3, slow=6, trade_size=1000)


class Run:
    """One uninterrupted execution, with a snapshot taken after quote ``k``."""

    def __init__(self, shared_data: Path, k: int) -> None:
        self.tape = Tape()
        kernel = build([_strategy()], journal=self.tape)
        quotes = shared_eurusd(kernel, shared_data, N_QUOTES)
        feed(kernel, quotes[:k])
        doc, self.arrays = kernel.snapshot()
        self.doc = json.loads(json.dumps(doc))  # the doc is plain JSON
        self.hash_state_k = kernel.state_hash("all")
        feed(kernel, quotes[k:])
        self.rest = quotes[k:]
        self.kernel = kernel
        self.log = self.tape.records()

    def after_snapshot(self) -> np.ndarray:
        return self.log[self.log["seq"] > self.doc["last_seq"]]


def _restored(run: Run, mode: str, journal: Any = None) -> Kernel:
    return Kernel.from_snapshot(run.doc, run.arrays, lambda k: register_all(k, [_strategy()]),
                                capacity=1 << 14, mode=mode, journal=journal)


@pytest.fixture(scope="module")
def eurusd(shared_data: Path) -> Path:
    return shared_data


def test_a_restored_kernel_hashes_like_the_one_that_took_the_snapshot(eurusd: Path):
    run = Run(eurusd, 150)
    restored = _restored(run, "execute")
    assert restored.state_hash("all") == run.hash_state_k
    assert restored.last_seq == run.doc["last_seq"]
    doc, _ = restored.snapshot()
    assert json.loads(json.dumps(doc)) == run.doc


def test_restore_then_rebuild_of_the_tail_equals_the_full_run(eurusd: Path):
    run = Run(eurusd, 150)
    assert len(run.kernel.cache.orders()) > 10  # the strategy traded on both sides of k
    restored = _restored(run, "rebuild")
    tail = run.after_snapshot()
    restored.publish(tail.view(RECORD_DTYPE))
    assert restored.state_hash() == run.kernel.state_hash()


def test_restore_then_execution_of_the_tail_inputs_regenerates_the_same_records(eurusd: Path):
    run = Run(eurusd, 150)
    tape = Tape()
    restored = _restored(run, "execute", journal=tape)
    feed(restored, run.rest)
    assert restored.state_hash("all") == run.kernel.state_hash("all")
    assert tape.records().tobytes() == run.after_snapshot().tobytes()


def test_restore_refuses_a_kernel_at_another_seq(eurusd: Path):
    run = Run(eurusd, 20)
    kernel = Kernel(capacity=1 << 14)
    register_all(kernel, [_strategy()])
    with pytest.raises(SnapshotError, match=f"first_seq={run.doc['last_seq'] + 1}"):
        kernel.restore(run.doc, run.arrays)


# Each example runs three kernels: a third of the profile's examples (25 at least).
@settings(max_examples=max(25, settings.default.max_examples // 3))
@given(k=st.integers(min_value=1, max_value=N_QUOTES - 1))
def test_snapshot_at_any_k_plus_the_tail_equals_the_full_replay(k: int):
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder not found at {SHARED_DATA}")
    run = Run(SHARED_DATA, k)
    rebuilt = _restored(run, "rebuild")
    tail = run.after_snapshot()
    if len(tail):
        rebuilt.publish(tail)
    assert rebuilt.state_hash() == run.kernel.state_hash()
    executed = _restored(run, "execute")
    feed(executed, run.rest)
    assert executed.state_hash("all") == run.kernel.state_hash("all")
