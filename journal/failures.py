"""Telling failures apart: a full disk from another write error, damage from a foreign file,
and the error of a journal that ends before its high-water mark.

Design contract:
- ``out_of_space`` names a failed LMDB write a full disk (ENOSPC, EDQUOT, EFBIG, or LMDB's EIO
  for a short write while the filesystem has < 64 MiB free or the data file reached the
  process's RLIMIT_FSIZE) or returns None for any other error;
- ``made_by_ringbus``: a directory that a ringbus writer used (its lock or high-water file is
  there), where a failure to read LMDB's structure is damage, not a foreign file;
- ``rollback_error`` builds the RollbackError naming the lost seq range;
- ``one_byte_off_and_records_check``: a meta value one byte off this build's while the records
  check is a damaged byte, not another schema.
"""

from __future__ import annotations

import os
import resource
import struct
from pathlib import Path
from typing import TYPE_CHECKING

import lmdb

from journal import format as fmt
from journal.errors import RollbackError

if TYPE_CHECKING:
    from journal.store import Journal

#: errors a write reports when the filesystem (or the process's file size limit) is full
_FULL = ("No space left", "Disk quota exceeded", "File too large")


def out_of_space(data: Path, exc: lmdb.Error) -> str | None:
    """Returns why a failed write is a full disk, or None when it is another error.

    LMDB reports a short write as EIO: it counts as full when the filesystem has less than
    64 MiB free or the data file reached the process's RLIMIT_FSIZE."""
    text = str(exc)
    if any(marker in text for marker in _FULL):
        return "disk full"
    if "Input/output error" not in text and not isinstance(exc, lmdb.DiskError):
        return None
    try:
        st = os.statvfs(data.parent)
        size = data.stat().st_size
    except OSError:
        return None
    free = st.f_bavail * st.f_frsize
    if free < 64 << 20:
        return f"disk full ({free} bytes free on the filesystem)"
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if limit != resource.RLIM_INFINITY and size + (1 << 20) >= limit:
        return f"file size limit reached (RLIMIT_FSIZE {limit} bytes)"
    return None


def rollback_error(path: Path, mark_seq: int, last: int, advice: str) -> RollbackError:
    """Returns the error of a journal ending at ``last`` whose mark says ``mark_seq``."""
    return RollbackError(
        f"rollback: the high-water mark says seq {mark_seq} was committed, the journal ends at "
        f"seq {last}: records {last + 1}..{mark_seq} are lost (LMDB opened an older meta "
        f"page){advice}", seq_range=(last + 1, mark_seq), path=str(path / fmt.DATA_FILE))


def made_by_ringbus(path: Path) -> bool:
    """True when a ringbus writer has used the directory (its lock or high-water file is
    there): a failure to read its LMDB structure is then damage, not a foreign file."""
    return (path / fmt.LOCK_FILE).exists() or (path / fmt.HIGH_WATER_FILE).exists()


def one_byte_off_and_records_check(journal: Journal, expected: bytes, stored: bytes) -> bool:
    """True when a meta value differs from this build's in exactly one byte while the first
    stored batch passes its checksum: a damaged byte, not another schema (whose fingerprint
    differs everywhere)."""
    from journal.batch import decode_batch
    from journal.errors import JournalError

    if sum(a != b for a, b in zip(expected, bytes(stored), strict=True)) != 1:
        return False
    try:
        with journal.read_txn() as txn:
            cursor = txn.cursor(journal.records_db)
            if not cursor.first():
                return False
            decode_batch(cursor.key(), cursor.value(), str(journal.path), None)
    except (JournalError, lmdb.Error, struct.error):
        return False
    return True
