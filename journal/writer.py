"""The journal writer: the first consumer of the ring; appends records as checked batches.

Design contract:
- ``on_batch`` accepts records in seq order (one or many at a time), checks that seq continues
  from the journal's last seq + 1 and that ts_init never decreases (else SequenceGapError /
  TimestampOrderError naming the seq, with nothing of that call accepted), and stages them into
  large values (``value_records`` records, raw bytes, one key per value);
- ``flush`` makes what was received durable according to ``durability``:
  ``sync`` commits and fsyncs now; ``batch`` commits (with fsync) once ``batch_records`` records
  are uncommitted or the oldest of them arrived ``batch_ns`` ago (monotonic wall clock: a
  crash loses real time, and in a backtest 100 ms of data time pass in a quote or two, which
  made ``batch`` fsync nearly every record: perf/journal_durability.py); ``none`` commits
  every ``none_commit_records`` records without fsync; ``commit``/``close`` commit everything
  in any mode; commit timing never changes the records, only how they are framed on disk;
- ``fsync_behind=True`` (``batch`` only; the live node's and the FIX session's journals):
  commits (``flush`` by the batch policy above, or ``commit``, which the live node calls as
  soon as an order waits) do not fsync; a background thread fsyncs the committed pages (and
  the high-water mark) at most ``batch_ns`` after a commit. A committed record survives a
  killed process at once, and an OS crash once fsynced; nothing on the committing thread waits
  for the disk (an order leaves after its commit, not after the disk's fsync latency);
- ``fsync_apart=True`` (``sync`` only; the live node's journal and the FIX session store):
  a commit is an LMDB commit without fsync followed by one ``fdatasync`` of the environment
  (data and meta in one flush, where LMDB's own synchronous commit flushes twice), inline, or
  with a committer thread (:meth:`start_committer`) right after it makes the commit known, so
  whoever waited for the commit goes on while the disk works (a live node builds and fsyncs
  the order's FIX message meanwhile). ``committed_seq`` is then the process-crash-safe point
  and ``durable_seq`` the OS-crash-safe one (:meth:`wait_durable`); the high-water mark never
  passes ``durable_seq``;
- after each commit the high-water mark (:mod:`journal.highwater`) records the last seq and
  tailers in other processes are poked; with ``settle_later`` (a live loop) that waits for
  ``settle``, called once the commit's orders are sent, so neither is on the tick-to-order
  path; the next commit and ``close`` settle first, so the mark lags by a commit at most and
  is never ahead of what LMDB holds; the fsync-behind thread polls the committed seq and the
  mark instead of being woken by each commit;
- ``committed_seq`` is the last seq known committed: a record may leave the process once
  ``committed_seq`` reaches it (the writer is the LMDB :class:`journal.sink.JournalSink`);
- a commit is one LMDB transaction: all of its batches (and their run index entries) are
  stored, or none; a full map is grown and the commit retried; a full disk or a map at
  ``max_map_size`` raises JournalFullError after committing the failed commit's batches one by
  one while they fit (the longest prefix), and the writer refuses further records with it;
- one writer per journal (see :mod:`journal.lock`); a writer on an existing journal continues at
  its last seq + 1 after checking the last stored batch, and refuses (RollbackError) one that
  ends before its high-water mark.
"""

from __future__ import annotations

import contextlib
import os
import struct
import threading
import time
from collections.abc import Callable
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
    JournalFullError,
    SequenceGapError,
    TimestampOrderError,
    WriterClosedError,
    WriterStoppedFullError,
)
from journal.highwater import MarkWriter, start_mark
from journal.lock import WriterLock
from journal.notify import CommitNotifier
from journal.staging import ValueStager
from journal.store import DEFAULT_MAP_SIZE, DEFAULT_MAX_MAP_SIZE, Journal

DURABILITIES = ("sync", "batch", "none")
_RUN_LO, _RUN_HI = int(Kind.RUN_STARTED), int(Kind.RUN_RECOVERED)
#: batches up to this many records take the plain-int path (``_take_small``)
_SMALL = 32
_CHECKSUM = struct.Struct("<Q").unpack_from  # a stored batch's checksum, at byte 8 of its value


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
        fsync_behind: bool = False,
        fsync_apart: bool = False,
    ) -> None:
        if durability not in DURABILITIES:
            raise ValueError(f"durability must be one of {DURABILITIES}, got {durability!r}")
        if fsync_behind and durability != "batch":
            raise ValueError(f"fsync_behind needs durability 'batch', got {durability!r}")
        if fsync_apart and durability != "sync":
            raise ValueError(f"fsync_apart needs durability 'sync', got {durability!r}")
        if value_records < 1:
            raise ValueError(f"value_records must be >= 1, got {value_records}")
        self.path = Path(path)
        self.durability = durability
        self.value_records = value_records
        self.batch_records = batch_records
        self.batch_ns = batch_ns
        self.none_commit_records = none_commit_records
        self.max_uncommitted_records = max_uncommitted_records
        self.fsync_behind = fsync_behind
        self.fsync_apart = fsync_apart
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock: WriterLock | None = WriterLock(self.path)
        try:
            self.journal = Journal.create(
                self.path, durability="none" if fsync_behind or fsync_apart else durability,
                map_size=map_size, max_map_size=max_map_size, writemap=writemap,
            )
            self.committed_seq, self._prev_ts = self._read_tail()
            self.journal.write(lambda txn: txn.put(
                fmt.META_DURABILITY, durability.encode(), db=self.journal.meta_db
            ))
            self._mark = MarkWriter(self.path, start_mark(self.journal, self.committed_seq),
                                    fsync=durability != "none" and not fsync_behind)
        except Exception:
            if hasattr(self, "journal"):
                self.journal.close()
            self._lock.release()
            raise
        #: the last seq fsynced: ``committed_seq`` under ``sync`` (LMDB's synchronous
        #: commits), behind it with ``fsync_apart`` until its fdatasync; other modes do not
        #: track it
        self.durable_seq = self.committed_seq
        self._synced_commits = durability == "sync" and not fsync_apart
        self._next_seq = self.committed_seq + 1
        self._stager = ValueStager(value_records)
        self._stager.last_sealed_seq = self.committed_seq
        self._pending_runs: list[tuple[bytes, bytes]] = []
        self._uncommitted = 0
        self._uncommitted_since_ns = 0  # monotonic clock when the oldest uncommitted arrived
        self._notifier = CommitNotifier(self.path) if notify else None
        #: on_batch commits once this many records are uncommitted (mode ``none``: the smaller
        #: of ``none_commit_records`` and ``max_uncommitted_records``).
        self._commit_at = max_uncommitted_records if durability != "none" else min(
            max_uncommitted_records, none_commit_records)
        self._closed = False
        self._full: JournalFullError | None = None  # why a commit failed for want of space
        self._syncer: _Syncer | None = _Syncer(self, batch_ns) if fsync_behind else None
        self._committer: _Committer | None = None  # start_committer (sync, a live loop)
        self._failure: BaseException | None = None  # what stopped the committer thread
        #: commits whose mark and tailer poke wait for ``settle``: (last seq, batch checksums)
        self._unsettled: list[tuple[int, list[int]]] = []
        #: when True, a commit leaves its mark and tailer poke to ``settle`` (see there)
        self.settle_later = False

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
            raise self._closed_error()
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
            self._uncommitted_since_ns = time.monotonic_ns()
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
            self._uncommitted_since_ns = time.monotonic_ns()
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
            if self._committer is not None:
                self._hand_over()
            else:
                self.commit()
        elif self.durability == "batch":
            if (
                self._uncommitted >= self.batch_records
                or time.monotonic_ns() - self._uncommitted_since_ns >= self.batch_ns
            ):
                self.commit()
        elif self._uncommitted >= self.none_commit_records:
            self.commit()
        return self.committed_seq

    def commit(self) -> int:
        """Commits everything received, whatever the mode; returns ``committed_seq``."""
        if self._closed:
            raise self._closed_error()
        if self._committer is not None:
            self._committer.wait_for(self._hand_over())
            return self.committed_seq
        self._stager.seal()
        pending, runs = self._stager.pending, self._pending_runs
        if not pending:
            return self.committed_seq
        self._store(pending, runs, self._stager.last_sealed_seq)
        self._stager.recycle()
        self._pending_runs = []
        self._uncommitted = 0
        return self.committed_seq

    def _store(self, pending: list[tuple[bytes, Any]], runs: list[tuple[bytes, bytes]],
               last_seq: int, settle: bool = True) -> None:
        """Writes ``pending`` values (ending at ``last_seq``) and ``runs`` in one transaction;
        then ``committed_seq``, and unless ``settle`` is False or ``settle_later`` is set, the
        mark and the tailers (:meth:`settle`; the committing thread)."""
        if self._unsettled:
            self.settle()
        journal = self.journal

        def put_all(txn: lmdb.Transaction) -> None:
            for key, value in pending:
                if not txn.put(key, value, db=journal.records_db, append=True):
                    raise JournalError(f"{self.path}: batch key {fmt.key_seq(key)} exists")
            for key, value in runs:
                txn.put(key, value, db=journal.runs_db, append=True)

        try:
            journal.write(put_all)
        except JournalFullError as exc:
            self._commit_prefix(exc, pending, runs)
        except Exception:
            self._fail()
            raise
        self.committed_seq = last_seq
        if self._synced_commits:  # LMDB's synchronous commit: committed is fsynced
            self.durable_seq = last_seq
        self._unsettled.append((last_seq, [_CHECKSUM(value, 8)[0] for _, value in pending]))
        if self.fsync_apart and self._committer is None:  # (the committer fsyncs its own)
            self._fsync_committed()
        if settle and not self.settle_later:
            self.settle()

    def _fsync_committed(self) -> None:
        """``fsync_apart``: one fdatasync of what is committed now; ``durable_seq`` follows."""
        seq = self.committed_seq
        try:
            self.journal.env.sync(True)
        except Exception:
            self._fail()
            raise
        self.durable_seq = max(self.durable_seq, seq)

    def wait_durable(self, seq: int) -> None:
        """Returns once ``durable_seq`` reaches ``seq`` (at most ``committed_seq``): at once
        unless ``fsync_apart`` with a committer thread; raises the fsync's error if one
        failed."""
        committer = self._committer
        if committer is not None and self.fsync_apart:
            committer.wait_durable(min(seq, self.committed_seq))

    def settle(self) -> None:
        """Writes the high-water mark for the commits made since the last call (one update
        per commit, in order) and pokes the tailers once; ``settle_later`` leaves this to the
        caller (a live loop calls it once its orders are sent). The next commit settles first,
        and ``close`` settles: the mark lags by one commit at most, never leads."""
        unsettled = self._unsettled
        if not unsettled:
            return
        if self.fsync_apart and unsettled[-1][0] > self.durable_seq:
            # the mark never passes what is fsynced: the rest settles at a later call
            durable = self.durable_seq
            n = sum(1 for last_seq, _ in unsettled if last_seq <= durable)
            if n == 0:
                return
            unsettled, self._unsettled = unsettled[:n], unsettled[n:]
        else:
            self._unsettled = []
        for last_seq, checksums in unsettled:
            self._mark.advance(last_seq, checksums)
        if self._notifier is not None:
            self._notifier.notify()

    def start_committer(self) -> None:
        """``sync`` only: from now on ``flush`` hands what is due to a committer thread and
        returns at once (``committed_seq`` follows as each commit is fsynced: it is still
        durable), and ``commit`` waits for everything received. A live node's loop: its takes
        never wait for the disk, an order does (its commit). Ended by ``stop_committer``."""
        if self.durability != "sync":
            raise ValueError(f"a committer thread needs durability 'sync', got "
                             f"{self.durability!r}")
        if self._closed:
            raise self._closed_error()
        if self.settle_later:
            raise ValueError("settle_later and a committer thread do not mix: the committer "
                             "settles its own commits")
        if self._committer is None:
            self._committer = _Committer(self)

    def stop_committer(self) -> int:
        """Commits what was handed over and ends the committer thread (commits are made on the
        calling thread again); returns ``committed_seq``."""
        committer, self._committer = self._committer, None
        if committer is not None:
            committer.stop()
            if committer.error is not None:
                raise committer.error
            if self.fsync_apart and self.durable_seq < self.committed_seq:
                self._fsync_committed()
        return self.committed_seq

    def _hand_over(self) -> int:
        """Seals what was received and hands it to the committer; returns the last seq
        handed over (everything received)."""
        committer = self._committer
        assert committer is not None
        if committer.error is not None:
            raise committer.error
        self._stager.seal()
        pending, sealed = self._stager.take_sealed()
        if pending:
            committer.hand((pending, sealed, self._pending_runs, self._stager.last_sealed_seq))
            self._pending_runs = []
            self._uncommitted = 0
        return self._stager.last_sealed_seq

    def _commit_prefix(self, full: JournalFullError, pending: list[tuple[bytes, Any]],
                       pending_runs: list[tuple[bytes, bytes]]) -> None:
        """After a commit failed for want of space: commits its batches one at a time while
        they fit, so the journal keeps the longest prefix, then fails the writer."""
        journal, committed = self.journal, self.committed_seq
        try:
            for key, value in pending:
                first = fmt.key_seq(key)
                last = first + len(value) // fmt.RECORD_SIZE - 1
                runs = [(k, v) for k, v in pending_runs if first <= fmt.key_seq(k) <= last]

                def put_one(txn: lmdb.Transaction, key=key, value=value, runs=runs) -> None:
                    txn.put(key, value, db=journal.records_db, append=True)
                    for run_key, run_value in runs:
                        txn.put(run_key, run_value, db=journal.runs_db, append=True)

                journal.write(put_one)
                self._mark.advance(last, [_CHECKSUM(value, 8)[0]])
                committed = self.committed_seq = last
        except (JournalError, OSError):
            pass
        self._fail()
        self._full = JournalFullError(
            f"{full}; the journal keeps records 1..{committed} (committed), records after "
            f"seq {committed} were not written"
        )
        raise self._full from None

    def _closed_error(self) -> JournalError:
        """The error for a write to a closed writer: the disk-full failure that closed it
        again (so whoever writes next, e.g. a run's end record, reports the real cause)."""
        if self._full is not None:
            return WriterStoppedFullError(f"{self._full} (the writer stopped there)")
        if self._failure is not None:
            return WriterClosedError(f"{self.path}: writer stopped: its commit failed: "
                                     f"{self._failure}")
        return WriterClosedError(f"{self.path}: writer is closed")

    def write_snapshot(self, seq: int, doc: Any, arrays: dict[str, np.ndarray] | None = None) -> None:
        """Stores a snapshot of derived state at ``seq`` (at most ``committed_seq``)."""
        from journal.snapshots import write_snapshot

        if self._committer is not None:  # one writing thread at a time
            self.commit()
        if seq > self.committed_seq:
            raise ValueError(
                f"snapshot seq {seq} is beyond committed_seq {self.committed_seq}; commit first"
            )
        write_snapshot(self.journal, seq, doc, arrays or {})

    def _fail(self) -> None:
        self._closed = True
        self._release()

    def _release(self) -> None:
        if self._unsettled:  # committed: their mark is due (a failed write settled first)
            with contextlib.suppress(OSError):
                self.settle()
        if self._syncer is not None:
            self._syncer.stop()
            self._syncer = None
        self._mark.close()
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
            self.stop_committer()
            self.commit()
            if self.durability != "none":
                if self._syncer is not None:
                    self._syncer.stop()
                    self._syncer = None
                self.journal.env.sync(True)
                self.durable_seq = self.committed_seq
            self.settle()
        finally:
            self._closed = True
            self._release()

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Syncer:
    """fsyncs a writer's committed pages and mark at most ``period_ns`` after a commit, on its
    own thread (``fsync_behind``); LMDB's sync releases the GIL."""

    def __init__(self, writer: JournalWriter, period_ns: int) -> None:
        self.writer = writer
        self.period_s = period_ns / 1e9
        self._stopped = threading.Event()
        #: (committed seq, mark's last seq) as of the last fsync
        self.synced = (writer.committed_seq, writer._mark.mark.last_seq)
        self._thread = threading.Thread(target=self._loop, name="journal-fsync", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        # polls what was committed and marked (plain ints): nothing on the committing thread
        # wakes this one
        writer = self.writer
        while not self._stopped.wait(self.period_s):
            now = (writer.committed_seq, writer._mark.mark.last_seq)
            if now != self.synced:
                writer.journal.env.sync(True)
                writer._mark.sync()
                self.synced = now

    def stop(self) -> None:
        """Ends the thread (a last sync is the caller's: ``close`` syncs everything)."""
        self._stopped.set()
        self._thread.join()


class _Committer:
    """Commits a ``sync`` writer's flushed values on its own thread (``start_committer``): the
    writer hands sealed values over and goes on; everything handed over by the time the thread
    is free goes in one transaction (group commit), and with ``fsync_apart`` one fdatasync
    follows once the commit is known (``wait_for``) and before ``durable_seq`` moves
    (``wait_durable``). LMDB's commit and fsync release the GIL."""

    def __init__(self, writer: JournalWriter) -> None:
        self.writer = writer
        self.error: BaseException | None = None
        self._cond = threading.Condition()
        self._queue: list[tuple[list, list, list, int]] = []
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="journal-commit", daemon=True)
        self._thread.start()

    def hand(self, work: tuple[list, list, list, int]) -> None:
        """Queues (values, their buffers, run index entries, last seq) for the next commit."""
        with self._cond:
            self._queue.append(work)
            self._cond.notify_all()

    def wait_for(self, seq: int) -> None:
        """Returns once ``committed_seq`` reaches ``seq``; raises the commit's error if one
        failed."""
        self._wait(lambda: self.writer.committed_seq >= seq)

    def wait_durable(self, seq: int) -> None:
        """Returns once ``durable_seq`` reaches ``seq`` (``fsync_apart``); raises the fsync's
        error if one failed."""
        if self.writer.durable_seq < seq:
            self._wait(lambda: self.writer.durable_seq >= seq)

    def _wait(self, reached: Callable[[], bool]) -> None:
        with self._cond:
            while not reached() and self.error is None:
                self._cond.wait()
        if self.error is not None:
            raise self.error

    def _failed(self, exc: BaseException) -> None:
        self.writer._failure = exc
        with self._cond:
            self.error = exc
            self._cond.notify_all()

    def stop(self) -> None:
        """Commits what is queued, then ends the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join()

    def _loop(self) -> None:
        writer = self.writer
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if not self._queue:
                    return
                work, self._queue = self._queue, []
            pending = [value for w in work for value in w[0]]
            try:
                writer._store(pending, [run for w in work for run in w[2]], work[-1][3],
                              settle=False)
            except BaseException as exc:
                self._failed(exc)
                return
            with self._cond:  # the waiting order goes now; the mark and the tailers after
                self._cond.notify_all()
            if writer.fsync_apart:  # the order's bytes wait for this (wait_durable)
                try:
                    writer.journal.env.sync(True)
                except BaseException as exc:
                    self._failed(exc)
                    return
                with self._cond:
                    writer.durable_seq = max(writer.durable_seq, work[-1][3])
                    self._cond.notify_all()
            writer._stager.recycle_taken(pending, [buf for w in work for buf in w[1]])
            try:
                writer.settle()
            except OSError as exc:  # the mark's file: the next commit reports it
                self._failed(exc)
                return
