"""The journal writer: the first consumer of the ring; appends records as checked batches.

Design contract:
- ``on_batch`` accepts records in seq order (one or many at a time), checks that seq continues
  from the journal's last seq + 1 and that ts_init never decreases (else SequenceGapError /
  TimestampOrderError naming the seq, with nothing of that call accepted), and stages them into
  large values (``value_records`` records, raw bytes, one key per value);
- ``flush`` makes what was received durable according to ``durability``:
  ``sync`` commits and fsyncs now; ``batch`` commits (with fsync) once ``batch_records`` records
  or ``batch_ns`` of ts_init have accumulated; ``none`` commits every ``none_commit_records``
  records without fsync; ``commit``/``close`` commit everything in any mode;
- ``committed_seq`` is the last seq known committed: a record may leave the process once
  ``committed_seq`` reaches it (the writer is the LMDB :class:`journal.sink.JournalSink`);
- a commit is one LMDB transaction: all of its batches (and their run index entries) are
  stored, or none; a full map is grown and the commit retried; a full disk or a map at
  ``max_map_size`` raises JournalFullError and the writer refuses further records;
- one writer per journal (see :mod:`journal.lock`); a writer on an existing journal continues at
  its last seq + 1 after checking the last stored batch.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

import lmdb
import numpy as np

from domain.kinds import RECORD_DTYPE, Kind
from journal import format as fmt
from journal.batch import TS_MIN, batch_bounds, decode_batch
from journal.checksum import SEQ_GAP, check_and_stage, check_order
from journal.errors import (
    JournalError,
    SequenceGapError,
    TimestampOrderError,
    WriterClosedError,
)
from journal.lock import WriterLock
from journal.notify import CommitNotifier
from journal.staging import ValueStager
from journal.store import DEFAULT_MAP_SIZE, DEFAULT_MAX_MAP_SIZE, Journal

DURABILITIES = ("sync", "batch", "none")
_RUN_LO, _RUN_HI = int(Kind.RUN_STARTED), int(Kind.RUN_RECOVERED)
#: batches up to this many records take the plain-int path (``_take_small``)
_SMALL = 32


# ``_HEAD(buffer, offset) -> (seq, ts_init, kind)``, laid out from RECORD_DTYPE's offsets.
_AT = [RECORD_DTYPE.fields[name][1] for name in ("seq", "ts_init", "kind")]
_HEAD = struct.Struct(f"<{_AT[0]}xQ{_AT[1] - _AT[0] - 8}xq{_AT[2] - _AT[1] - 8}xH".replace(
    "<0x", "<")).unpack_from


class JournalWriter:
    """Appends records to the journal at ``path`` (created when missing)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        durability: str = "sync",
        *,
        value_records: int = fmt.DEFAULT_VALUE_RECORDS,
        batch_records: int = 65536,
        batch_ns: int = 100_000_000,
        none_commit_records: int = 1 << 14,
        max_uncommitted_records: int = 1 << 20,
        map_size: int = DEFAULT_MAP_SIZE,
        max_map_size: int = DEFAULT_MAX_MAP_SIZE,
        notify: bool = True,
        writemap: bool = False,
    ) -> None:
        if durability not in DURABILITIES:
            raise ValueError(f"durability must be one of {DURABILITIES}, got {durability!r}")
        if value_records < 1:
            raise ValueError(f"value_records must be >= 1, got {value_records}")
        self.path = Path(path)
        self.durability = durability
        self.value_records = value_records
        self.batch_records = batch_records
        self.batch_ns = batch_ns
        self.none_commit_records = none_commit_records
        self.max_uncommitted_records = max_uncommitted_records
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock: WriterLock | None = WriterLock(self.path)
        try:
            self.journal = Journal.create(
                self.path, durability=durability, map_size=map_size, max_map_size=max_map_size,
                writemap=writemap,
            )
            self.committed_seq, self._prev_ts = self._read_tail()
            self.journal.write(lambda txn: txn.put(
                fmt.META_DURABILITY, durability.encode(), db=self.journal.meta_db
            ))
        except Exception:
            if hasattr(self, "journal"):
                self.journal.close()
            self._lock.release()
            raise
        self._next_seq = self.committed_seq + 1
        self._stager = ValueStager(value_records)
        self._stager.last_sealed_seq = self.committed_seq
        self._pending_runs: list[tuple[bytes, bytes]] = []
        self._uncommitted = 0
        self._uncommitted_first_ts = 0
        self._notifier = CommitNotifier(self.path) if notify else None
        #: on_batch commits once this many records are uncommitted (mode ``none``: the smaller
        #: of ``none_commit_records`` and ``max_uncommitted_records``).
        self._commit_at = max_uncommitted_records if durability != "none" else min(
            max_uncommitted_records, none_commit_records)
        self._closed = False

    def _read_tail(self) -> tuple[int, int]:
        with self.journal.read_txn() as txn:
            cursor = txn.cursor(self.journal.records_db)
            if not cursor.last():
                return 0, TS_MIN
            key, value = cursor.key(), cursor.value()
            first, _, _ = batch_bounds(key, value)
            records = decode_batch(key, value, str(self.path), first)
            return int(records["seq"][-1]), int(records["ts_init"][-1])

    @property
    def next_seq(self) -> int:
        """The seq the next record given to ``on_batch`` must carry."""
        return self._next_seq

    def on_batch(self, batch: np.ndarray) -> None:
        """Takes records (a contiguous 1-D array of 128-byte records) in seq order."""
        n = len(batch)
        if 0 < n <= _SMALL and batch.itemsize == fmt.RECORD_SIZE and batch.ndim == 1 and \
                batch.flags.c_contiguous and not self._closed and n <= self._stager.room and \
                self._take_small(batch, n):
            return
        if self._closed:
            raise WriterClosedError(f"{self.path}: writer is closed")
        if n == 0:
            return
        if batch.dtype.itemsize != fmt.RECORD_SIZE or batch.ndim != 1:
            raise ValueError(
                f"records must be a 1-D array of {fmt.RECORD_SIZE}-byte records, "
                f"got dtype {batch.dtype} shape {batch.shape}"
            )
        if not batch.flags.c_contiguous:
            batch = np.ascontiguousarray(batch)
        words = np.frombuffer(batch, dtype=np.uint64)
        if not words.flags.aligned:
            words = words.copy()
        if self._uncommitted == 0:
            first_ts = int(words[2])
            self._uncommitted_first_ts = first_ts - (1 << 64) if first_ts >> 63 else first_ts
        stager = self._stager
        if n <= stager.room:  # the common case: check, then copy into the stage
            bad, reason, marker, last_ts = check_and_stage(
                words, stager.words, stager.at_word, self._next_seq, self._prev_ts,
                _RUN_LO, _RUN_HI,
            )
            if bad >= 0:
                self._refuse(batch, bad, reason)
            stager.advance(n)
        else:
            bad, reason, marker, last_ts = check_order(
                words, self._next_seq, self._prev_ts, _RUN_LO, _RUN_HI
            )
            if bad >= 0:
                self._refuse(batch, bad, reason)
            stager.copy_in(words)
        if marker >= 0:
            self._index_runs(batch.view(RECORD_DTYPE)[marker:])
        self._next_seq += n
        self._prev_ts = last_ts
        self._uncommitted += n
        if self._uncommitted >= self._commit_at:
            self.commit()

    def _take_small(self, batch: np.ndarray, n: int) -> bool:
        """Takes a short batch in order (the kernel's publish-one path and its cascades) with
        plain-int checks and one copy; returns False, taking nothing, for anything unusual (a
        gap, time going back, a run marker), which the general path then
        refuses or indexes. Numpy's checks cost more than the loop below for a few records
        (perf/journal_append.py, batch 1)."""
        expected, prev = self._next_seq, self._prev_ts
        for off in range(0, n << 7, 128):
            seq, ts_init, kind = _HEAD(batch, off)
            if seq != expected or ts_init < prev or _RUN_LO <= kind <= _RUN_HI:
                return False
            expected, prev = seq + 1, ts_init
        if self._uncommitted == 0:
            self._uncommitted_first_ts = _HEAD(batch, 0)[1]
        self._stager.put(batch.tobytes(), n)
        self._next_seq, self._prev_ts = expected, prev
        self._uncommitted += n
        if self._uncommitted >= self._commit_at:
            self.commit()
        return True

    def _refuse(self, batch: np.ndarray, bad: int, reason: int) -> None:
        records = batch.view(RECORD_DTYPE)
        seq = int(records["seq"][bad])
        expected = self._next_seq + bad
        if reason == SEQ_GAP:
            raise SequenceGapError(
                f"{self.path}: record seq {seq} given where seq {expected} was expected",
                seq=seq, expected=expected,
            )
        prev = self._prev_ts if bad == 0 else int(records["ts_init"][bad - 1])
        raise TimestampOrderError(
            f"{self.path}: record seq {seq} has ts_init {int(records['ts_init'][bad])}, "
            f"below the previous record's {prev}",
            seq=seq,
        )

    def _index_runs(self, records: np.ndarray) -> None:
        kinds = records["kind"]
        for i in np.flatnonzero((kinds >= _RUN_LO) & (kinds <= _RUN_HI)):
            rec = records[i : i + 1]
            self._pending_runs.append((fmt.seq_key(int(rec["seq"][0])), rec.tobytes()))

    def flush(self) -> int:
        """Commits according to the durability mode; returns ``committed_seq``."""
        if self._uncommitted == 0:
            return self.committed_seq
        if self.durability == "sync":
            self.commit()
        elif self.durability == "batch":
            if (
                self._uncommitted >= self.batch_records
                or self._prev_ts - self._uncommitted_first_ts >= self.batch_ns
            ):
                self.commit()
        elif self._uncommitted >= self.none_commit_records:
            self.commit()
        return self.committed_seq

    def commit(self) -> int:
        """Commits everything received, whatever the mode; returns ``committed_seq``."""
        if self._closed:
            raise WriterClosedError(f"{self.path}: writer is closed")
        self._stager.seal()
        pending, runs = self._stager.pending, self._pending_runs
        if not pending:
            return self.committed_seq
        journal = self.journal

        def put_all(txn: lmdb.Transaction) -> None:
            for key, value in pending:
                if not txn.put(key, value, db=journal.records_db, append=True):
                    raise JournalError(f"{self.path}: batch key {fmt.key_seq(key)} exists")
            for key, value in runs:
                txn.put(key, value, db=journal.runs_db, append=True)

        try:
            journal.write(put_all)
        except Exception:
            self._fail()
            raise
        self._stager.recycle()
        self._pending_runs = []
        self.committed_seq = self._stager.last_sealed_seq
        self._uncommitted = 0
        if self._notifier is not None:
            self._notifier.notify()
        return self.committed_seq

    def write_snapshot(self, seq: int, doc: Any, arrays: dict[str, np.ndarray] | None = None) -> None:
        """Stores a snapshot of derived state at ``seq`` (at most ``committed_seq``)."""
        from journal.snapshots import write_snapshot

        if seq > self.committed_seq:
            raise ValueError(
                f"snapshot seq {seq} is beyond committed_seq {self.committed_seq}; commit first"
            )
        write_snapshot(self.journal, seq, doc, arrays or {})

    def _fail(self) -> None:
        self._closed = True
        self._release()

    def _release(self) -> None:
        if self._notifier is not None:
            self._notifier.close()
            self._notifier = None
        self.journal.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def close(self) -> None:
        """Commits everything, flushes to disk, releases the lock (idempotent)."""
        if self._closed:
            return
        try:
            self.commit()
            if self.durability != "none":
                self.journal.env.sync(True)
        finally:
            self._closed = True
            self._release()

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
