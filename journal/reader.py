"""Reading a journal: batches as zero-copy views, random access by seq, search by ts_init.

Design contract:
- every batch is checked (framing, checksum, seq contiguity across batches, ts_init order)
  before it is yielded; the first bad batch raises CorruptionError and nothing at or after it
  is yielded;
- ``batches`` yields RECORD_DTYPE views into LMDB's memory map, valid only until the generator
  advances or is closed (copy what you keep); ``records_between`` returns a copy;
- each call starts a fresh read transaction, so a reader sees everything committed before the
  call, while a writer keeps appending; ``record`` and ``seq_at_or_after_ts`` cost O(log n).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import lmdb
import numpy as np

from domain.kinds import RECORD_DTYPE
from journal import format as fmt
from journal.batch import TS_MIN, batch_bounds, decode_batch
from journal.errors import StructureError
from journal.store import Journal

_SEQ = struct.Struct("<Q")
#: a writable buffer that receives the last seq checked by any reader of this process (see
#: ``report_progress_to``); a supervising process reads it when this one dies by a signal
_progress: memoryview | None = None


def report_progress_to(buffer: memoryview | None) -> None:
    """Makes every reader of this process write the last seq it checked into ``buffer``
    (8 bytes, little-endian), so that a damaged page that faults the process can be placed."""
    global _progress
    _progress = buffer


class JournalReader:
    """Reads the journal held by ``journal`` (open it read-only with ``Journal.open``)."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._path = str(journal.path)

    def last_seq(self) -> int:
        """Returns the last committed seq (0 for an empty journal), from the last batch header."""
        with self.journal.read_txn() as txn:
            cursor = txn.cursor(self.journal.records_db)
            if not cursor.last():
                return 0
            first, n, _ = batch_bounds(cursor.key(), cursor.value())
            return first + n - 1

    def first_seq(self) -> int:
        """Returns the first seq stored (1 for a sound non-empty journal; 0 when empty)."""
        with self.journal.read_txn() as txn:
            cursor = txn.cursor(self.journal.records_db)
            return fmt.key_seq(cursor.key()) if cursor.first() else 0

    def batch_count(self) -> int:
        """Returns the number of stored batches."""
        with self.journal.read_txn() as txn:
            return int(txn.stat(self.journal.records_db)["entries"])

    def batches(self, from_seq: int = 1, to_seq: int | None = None) -> Iterator[np.ndarray]:
        """Yields checked views of the records ``from_seq..to_seq`` (inclusive), batch by batch.

        The first view may start inside a stored batch and the last may end inside one; the
        whole stored batch is checked either way. An error LMDB reports about its own pages
        (a damaged B-tree) is raised as CorruptionError too.
        """
        position = [from_seq]
        try:
            yield from self._batches(from_seq, to_seq, position)
        except (lmdb.Error, struct.error) as exc:
            raise StructureError(
                f"LMDB cannot read past here: {type(exc).__name__}: {exc}",
                after_seq=position[0] - 1, path=self._path,
            ) from None

    def _batches(
        self, from_seq: int, to_seq: int | None, position: list[int]
    ) -> Iterator[np.ndarray]:
        with self.journal.read_txn() as txn:
            cursor = txn.cursor(self.journal.records_db)
            if not _seek(cursor, from_seq):
                return
            expected: int | None = None
            prev_ts = TS_MIN
            for key, value in cursor:
                records = decode_batch(key, value, self._path, expected, prev_ts)
                first = int(records["seq"][0])
                last = first + len(records) - 1
                expected, prev_ts = last + 1, int(records["ts_init"][-1])
                position[0] = expected
                if _progress is not None:
                    _SEQ.pack_into(_progress, 0, last)
                if last < from_seq:
                    continue
                lo = max(from_seq - first, 0)
                hi = len(records) if to_seq is None else min(len(records), to_seq - first + 1)
                if hi > lo:
                    yield records[lo:hi]
                if to_seq is not None and last >= to_seq:
                    return

    def records_between(self, from_seq: int = 1, to_seq: int | None = None) -> np.ndarray:
        """Returns a copy of the records ``from_seq..to_seq`` as one array."""
        last = self.last_seq()
        top = last if to_seq is None else min(to_seq, last)
        out = np.empty(max(0, top - max(from_seq, 1) + 1), dtype=RECORD_DTYPE)
        out_bytes = out.view(np.uint8)  # a byte copy: ~7x faster than a structured assignment
        n = 0
        for batch in self.batches(from_seq, top):
            k = len(batch) * RECORD_DTYPE.itemsize
            out_bytes[n : n + k] = np.frombuffer(batch, dtype=np.uint8)
            n += k
        return out[: n // RECORD_DTYPE.itemsize]

    def record(self, seq: int) -> np.ndarray | None:
        """Returns a copy of the record ``seq`` (shape ``(1,)``), or None when not stored."""
        with self.journal.read_txn() as txn:
            cursor = txn.cursor(self.journal.records_db)
            if not _seek(cursor, seq):
                return None
            records = decode_batch(cursor.key(), cursor.value(), self._path, None)
            index = seq - int(records["seq"][0])
            if not 0 <= index < len(records):
                return None
            return records[index : index + 1].copy()

    def seq_at_or_after_ts(self, ts_init_ns: int) -> int | None:
        """Returns the first seq whose ts_init >= ``ts_init_ns``, or None when there is none.

        Binary search over seq: O(log n) batch lookups, each reading one batch header.
        """
        last = self.last_seq()
        with self.journal.read_txn() as txn:
            cursor = txn.cursor(self.journal.records_db)
            if not cursor.first():
                return None
            lo, hi = fmt.key_seq(cursor.key()), last + 1
            while lo < hi:
                _seek(cursor, (lo + hi) // 2)
                first, n, last_ts = batch_bounds(cursor.key(), cursor.value())
                if last_ts < ts_init_ns:
                    lo = first + n
                    continue
                records = decode_batch(cursor.key(), cursor.value(), self._path, None)
                if int(records["ts_init"][0]) >= ts_init_ns:
                    hi = first
                    continue
                index = int(np.searchsorted(records["ts_init"], ts_init_ns, side="left"))
                return first + index
            return lo if lo <= last else None


def _seek(cursor: lmdb.Cursor, seq: int) -> bool:
    """Positions ``cursor`` on the batch that holds ``seq`` (or the first after it)."""
    key = fmt.seq_key(max(seq, 0))
    if cursor.set_range(key):
        if bytes(cursor.key()) == key:
            return True
        if cursor.prev():
            first, n, _ = batch_bounds(cursor.key(), cursor.value())
            if first + n - 1 >= seq:
                return True
            return bool(cursor.next())
        return bool(cursor.first())
    if cursor.last():
        first, n, _ = batch_bounds(cursor.key(), cursor.value())
        return first + n - 1 >= seq
    return False
