"""Crash-only, enforced: a fault seals the kernel; nothing is re-applied; a failed commit faults;
the journal keeps a clean contiguous prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from domain.codec import encode
from domain.kinds import Kind
from engines.component import Reactor, Reducer
from engines.kernel import Kernel
from engines.kernel_errors import KernelFaulted
from journal import Journal, JournalFullError, JournalReader, JournalWriter
from journal.verify import verify_journal
from tests.unit.kernel_rig import INPUT, T0


class Folds(Reducer):
    """Keeps the seq of every CHECKPOINT it applies; raises on ``bad_seq`` (once)."""

    handles = (int(Kind.CHECKPOINT),)

    def __init__(self, bad_seq: int = 0) -> None:
        super().__init__("folds")
        self.bad_seq = bad_seq
        self.applied: list[int] = []

    def apply(self, rec: Any, ctx: Any) -> None:
        self.applied.append(rec.seq)
        if rec.seq == self.bad_seq:
            self.bad_seq = 0  # a retry would pass: only a re-application could show it
            raise RuntimeError(f"broken invariant at seq {rec.seq}")


class Echoes(Reactor):
    """Emits a TIMER for every CHECKPOINT (so a faulted kernel with live tables would emit)."""

    handles = (int(Kind.CHECKPOINT),)

    def __init__(self) -> None:
        super().__init__("echoes")
        self.seen: list[int] = []

    def react(self, rec: Any, ctx: Any) -> None:
        self.seen.append(rec.seq)
        ctx.emit(Kind.TIMER, 0, timer_id=1)


def _checkpoints(n: int, t0: int = T0) -> np.ndarray:
    recs = np.repeat(encode(Kind.CHECKPOINT, flags=INPUT), n)
    recs["ts_init"] = recs["ts_event"] = np.arange(t0, t0 + n)
    return recs


def _stored_seqs(path: Path) -> list[int]:
    """The seqs the journal at ``path`` holds, read back from disk."""
    journal = Journal.open(path)
    try:
        return JournalReader(journal).records_between()["seq"].tolist()
    finally:
        journal.close()


def _kernel(bad_seq: int, journal: Any = None, **kwargs: Any) -> tuple[Kernel, Folds, Echoes]:
    kernel = Kernel(capacity=1 << 8, journal=journal, **kwargs)
    folds = kernel.register(Folds(bad_seq))
    echoes = kernel.register(Echoes())
    kernel.start()
    return kernel, folds, echoes  # type: ignore[return-value]


def test_a_faulting_record_is_applied_once_and_never_again() -> None:
    kernel, folds, echoes = _kernel(bad_seq=0)
    recs = _checkpoints(8)
    kernel.publish_one(recs[0])
    bad = kernel.last_seq + 4 * 2 - 1  # each checkpoint is followed by its TIMER: the 4th one
    folds.bad_seq = bad
    for i in range(1, 4):
        kernel.publish_one(recs[i])
    with pytest.raises(RuntimeError, match=f"seq {bad}"):
        kernel.publish_one(recs[4])
    with pytest.raises(KernelFaulted, match=f"faulted at seq {bad}") as info:
        kernel.publish_one(recs[5])
    assert isinstance(info.value.__cause__, RuntimeError) and info.value.seq == bad
    kernel.loop.drain()  # even driving the drain loop by hand re-applies nothing
    assert [s for s in folds.applied if s >= bad] == [bad]  # the probe saw it twice
    assert kernel.loop.consumer("kernel").sequence.value == kernel.ring.cursor == bad


def test_a_fault_in_a_batch_leaves_the_records_after_it_unapplied() -> None:
    kernel, folds, echoes = _kernel(bad_seq=0)
    first = kernel.last_seq + 1
    folds.bad_seq = first + 2
    with pytest.raises(RuntimeError, match="broken invariant"):
        kernel.publish(_checkpoints(40))  # a long batch: the vectorised path
    assert folds.applied[-1] == first + 2
    assert kernel.faulted is not None and kernel.faulted_seq == first + 2
    with pytest.raises(KernelFaulted):
        kernel.publish(_checkpoints(1, T0 + 100))
    assert folds.applied[-1] == first + 2 and folds.applied.count(first + 2) == 1


def test_a_faulted_kernel_seals_its_stages_and_refuses_every_entry() -> None:
    kernel, folds, echoes = _kernel(bad_seq=0)
    folds.bad_seq = kernel.last_seq + 1
    with pytest.raises(RuntimeError):
        kernel.publish_one(_checkpoints(1)[0])
    for stage in kernel.stages.values():
        assert stage.table == {} and stage.batch_handlers == ()
    assert not kernel.reacts_to(int(Kind.CHECKPOINT), 0)
    assert len(kernel._setup_outbox) == 0
    cursor, seen = kernel.ring.cursor, list(echoes.seen)
    with pytest.raises(KernelFaulted):
        kernel.publish(_checkpoints(2, T0 + 1))
    with pytest.raises(KernelFaulted):
        kernel.intern("never-published")
    with pytest.raises(KernelFaulted):
        kernel.start()
    kernel.stop()  # stopping a faulted kernel is allowed and publishes nothing
    assert kernel.ring.cursor == cursor and echoes.seen == seen
    assert all(c.state.name == "FAULTED" for c in kernel.components)


def test_a_failed_commit_faults_the_kernel_and_leaves_a_clean_prefix(tmp_path: Path) -> None:
    path = tmp_path / "j"
    # a map that cannot grow: the commit that overflows it fails like a full disk would
    # (``batch``: the commit happens in the kernel's flush, every 64 records)
    writer = JournalWriter(path, durability="batch", batch_records=64, map_size=1 << 20,
                           max_map_size=1 << 20, value_records=64)
    kernel, folds, _ = _kernel(bad_seq=0, journal=writer)
    committed = 0
    with pytest.raises(JournalFullError):
        for rec in _checkpoints(200_000):
            kernel.publish_one(rec)
            committed = writer.committed_seq
    assert isinstance(kernel.faulted, JournalFullError)
    with pytest.raises(KernelFaulted):
        kernel.publish_one(_checkpoints(1, T0 + 10**6)[0])
    writer.close()
    assert committed > 0 and _stored_seqs(path) == list(range(1, committed + 1))
    assert verify_journal(path).status.name in ("CLEAN", "CRASHED_RUN")


@pytest.mark.parametrize("journal_lag", [0, 64])
def test_a_handler_fault_journals_a_contiguous_prefix_ending_at_the_faulting_record(
        tmp_path: Path, journal_lag: int) -> None:
    path = tmp_path / "j"
    writer = JournalWriter(path, durability="none")
    kernel, folds, _ = _kernel(bad_seq=0, journal=writer, journal_lag=journal_lag)
    recs = _checkpoints(300)
    folds.bad_seq = kernel.last_seq + 250 * 2 - 1  # every checkpoint is followed by its TIMER
    with pytest.raises(RuntimeError, match="broken invariant"):
        for rec in recs:
            kernel.publish_one(rec)
    writer.close()
    assert _stored_seqs(path) == list(range(1, kernel.faulted_seq + 1))
