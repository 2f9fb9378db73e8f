"""The high-water mark: the last committed seq and a chained checksum, outside LMDB's pages.

Design contract:
- ``<journal>/high_water`` holds two 64-byte slots (magic ``RBHW``, commit count, last seq,
  chain, xxh3 of the slot); each commit overwrites the older slot, so a torn write leaves the
  other one readable; the newest sound slot wins;
- ``chain`` folds the stored batch checksums in seq order:
  ``chain = xxh3_64(chain_prev || checksum)``, starting from 0; a journal whose batches up to
  ``last_seq`` fold to another chain holds other records than were committed;
- the writer updates the mark after each LMDB commit (never before, so the mark is never ahead
  of what LMDB made durable); when the durability mode fsyncs (``sync``, ``batch``) it
  ``fdatasync``s the mark at most once per ``sync_interval_s`` (1 s) and at close: an fsync
  per commit cost 40 % more per ``sync`` commit here (15.6 ms instead of 11.1 ms,
  perf/journal_durability.py), and a mark that lags by a second only narrows what a rollback
  check can see after a power loss; with ``none`` it is written, synced at close only;
- LMDB opening an older meta page (a damaged newest one) loses the last commits silently;
  ``verify`` compares the journal with the mark and reports that rollback as a finding.
  A journal without the file (written before it existed) still opens: "no high-water mark".
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import xxhash

from journal.failures import rollback_error
from journal.format import HIGH_WATER_FILE, key_seq

if TYPE_CHECKING:
    from journal.store import Journal

_MAGIC = b"RBHW"
_VERSION = 1
_BODY = struct.Struct("<4sHHQQQ")  # magic, version, reserved, commits, last_seq, chain
_CHECK = struct.Struct("<Q")
_SLOT = 64
_PAIR = struct.Struct("<QQ")
_HEADER = struct.Struct("<IQ").unpack_from  # a stored batch's record count and checksum, at 4


def chain_step(chain: int, checksum: int) -> int:
    """Returns the chain after one more batch of checksum ``checksum``."""
    return xxhash.xxh3_64_intdigest(_PAIR.pack(chain, checksum))


def fold_stored(items: Iterable[tuple[Any, Any]], stop_at: int | None = None) -> tuple[int, int]:
    """Folds the chain over stored ``(key, value)`` batches in seq order, through the batch
    whose last seq reaches ``stop_at`` (all when None); returns ``(chain, last_seq)``. Reads
    only each value's header."""
    chain = last = 0
    for key, value in items:
        n, checksum = _HEADER(value, 4)
        chain = chain_step(chain, checksum)
        last = key_seq(key) + n - 1
        if stop_at is not None and last >= stop_at:
            break
    return chain, last


@attrs.frozen
class Mark:
    """One high-water mark: ``commits`` counts the writes, ``last_seq`` and ``chain`` as above."""

    commits: int
    last_seq: int
    chain: int


class MarkDamaged(ValueError):
    """The high-water file exists but neither slot is sound."""


def read_mark(journal_dir: Path) -> Mark | None:
    """Returns the newest sound mark, None when the file does not exist (an older journal).

    Raises MarkDamaged when the file exists and no slot is sound, or it cannot be read."""
    try:
        raw = (Path(journal_dir) / HIGH_WATER_FILE).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MarkDamaged(f"{Path(journal_dir) / HIGH_WATER_FILE}: cannot read: {exc}") from None
    marks = [m for m in (_decode(raw[i : i + _SLOT]) for i in (0, _SLOT)) if m is not None]
    if not marks:
        raise MarkDamaged(f"{Path(journal_dir) / HIGH_WATER_FILE}: no sound slot "
                          f"({len(raw)} bytes)")
    return max(marks, key=lambda m: m.commits)


def _decode(slot: bytes) -> Mark | None:
    if len(slot) < _BODY.size + _CHECK.size:
        return None
    magic, version, _, commits, last_seq, chain = _BODY.unpack_from(slot)
    (check,) = _CHECK.unpack_from(slot, _BODY.size)
    if magic != _MAGIC or version != _VERSION or \
            check != xxhash.xxh3_64_intdigest(slot[: _BODY.size]):
        return None
    return Mark(commits, last_seq, chain)


def _encode(mark: Mark) -> bytes:
    body = _BODY.pack(_MAGIC, _VERSION, 0, mark.commits, mark.last_seq, mark.chain)
    return (body + _CHECK.pack(xxhash.xxh3_64_intdigest(body))).ljust(_SLOT, b"\0")


class MarkWriter:
    """Keeps the mark of a journal that this process writes (the writer lock is held)."""

    def __init__(self, journal_dir: Path, start: Mark, *, fsync: bool,
                 sync_interval_s: float = 1.0) -> None:
        self.path = Path(journal_dir) / HIGH_WATER_FILE
        self.mark = start
        self.fsync = fsync
        self.sync_interval_ns = int(sync_interval_s * 1e9)
        self._synced_ns = time.monotonic_ns()
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if os.fstat(self._fd).st_size < 2 * _SLOT:  # allocate both slots now, not on a full disk
            os.pwrite(self._fd, _encode(start) * 2, 0)
            os.fdatasync(self._fd)
        # the slots are written through a shared mapping: a store into the page cache, where a
        # pwrite per commit also updated the file's mtime through the filesystem's journal
        # (5 us hot, 50-100 us after a pause: the live node's commits are paused, docs/hot-paths.md)
        self._map: mmap.mmap | None = mmap.mmap(self._fd, 2 * _SLOT)

    def advance(self, last_seq: int, checksums: list[int]) -> None:
        """Records a commit ending at ``last_seq`` whose new batches have ``checksums``."""
        chain = self.mark.chain
        for checksum in checksums:
            chain = chain_step(chain, checksum)
        self.mark = Mark(self.mark.commits + 1, last_seq, chain)
        if self._map is None:
            return
        at = (self.mark.commits % 2) * _SLOT
        self._map[at : at + _SLOT] = _encode(self.mark)
        if self.fsync and time.monotonic_ns() - self._synced_ns >= self.sync_interval_ns:
            self._sync()

    def sync(self) -> None:
        """fdatasyncs the mark now (a writer that fsyncs behind its commits calls this)."""
        self._sync()

    def _sync(self) -> None:
        if self._fd is not None:  # writes back the mapping's dirty page too; unlike
            os.fdatasync(self._fd)  # mmap.flush (msync), it releases the GIL while it waits
            self._synced_ns = time.monotonic_ns()

    def close(self) -> None:
        """Syncs and closes the file (idempotent)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):  # a failed disk must not hide the first error
                self._sync()
            if self._map is not None:
                self._map.close()
                self._map = None
            os.close(self._fd)
            self._fd = None


def start_mark(journal: Journal, last_seq: int) -> Mark:
    """Returns the mark a writer of ``journal`` (ending at ``last_seq``) continues from: the
    stored mark when it is at ``last_seq``, else one folded from the stored batches. Refuses,
    with RollbackError, a journal that ends before its mark: appending would bury the loss."""
    try:
        mark = read_mark(journal.path)
    except MarkDamaged:
        mark = None
    if mark is not None and mark.last_seq > last_seq:
        raise rollback_error(journal.path, mark.last_seq, last_seq,
                             f"; `ringbus verify` it; to append anyway, move {HIGH_WATER_FILE} "
                             f"aside")
    if mark is not None and mark.last_seq == last_seq:
        return mark
    with journal.read_txn() as txn:
        chain, _ = fold_stored(txn.cursor(journal.records_db).iternext())
    return Mark(mark.commits if mark is not None else 0, last_seq, chain)
