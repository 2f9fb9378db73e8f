"""Typed errors of the journal. Each message names the file, and the seq / field / value involved."""

from __future__ import annotations


class JournalError(Exception):
    """Base class of every error raised by :mod:`journal`."""


class NotAJournalError(JournalError):
    """The path is missing, empty, truncated or not an LMDB environment written by ringbus."""


class SchemaMismatch(JournalError):
    """The journal was written with another record schema (fingerprint) or format version."""


class CorruptionError(JournalError):
    """A stored batch fails its checksum, its framing or the seq/ts_init order.

    ``seq_range`` is the (first, last) seq the bad batch claims to hold; nothing at or after
    ``seq_range[0]`` is yielded by the reader that raised it.
    """

    def __init__(self, message: str, *, seq_range: tuple[int, int], path: str) -> None:
        super().__init__(f"{path}: {message} (seq {seq_range[0]}..{seq_range[1]})")
        self.seq_range = seq_range
        self.path = path
        self.reason = message


class StructureError(CorruptionError):
    """LMDB's own pages (meta, B-tree, overflow headers) are damaged: reading on could fault.

    ``after_seq`` is the last seq known readable (0 when nothing is); the message says
    ``journal structure damaged after seq N`` and names the page or sub-database.
    """

    def __init__(self, message: str, *, after_seq: int, path: str) -> None:
        super().__init__(f"journal structure damaged after seq {after_seq}: {message}",
                         seq_range=(after_seq + 1, after_seq + 1), path=path)
        self.after_seq = after_seq


class RollbackError(CorruptionError):
    """The journal ends before the seq its high-water mark says was committed: LMDB opened an
    older meta page (a damaged newest one) and the commits in between are lost.
    ``seq_range`` is the lost range."""


class SequenceGapError(JournalError, ValueError):
    """A writer was given a record whose seq is not the next one; ``seq`` is the one given."""

    def __init__(self, message: str, *, seq: int, expected: int) -> None:
        super().__init__(message)
        self.seq = seq
        self.expected = expected


class TimestampOrderError(JournalError, ValueError):
    """A writer was given a record whose ts_init is below the previous record's."""

    def __init__(self, message: str, *, seq: int) -> None:
        super().__init__(message)
        self.seq = seq


class WriterLockedError(JournalError):
    """Another writer (``holder_pid``) holds the journal's writer lock."""

    def __init__(self, message: str, *, holder_pid: int | None) -> None:
        super().__init__(message)
        self.holder_pid = holder_pid


class JournalFullError(JournalError):
    """The disk is full or the map reached ``max_map_size``; the journal keeps a clean prefix."""


class WriterClosedError(JournalError):
    """A closed (or failed) writer was asked to write."""


class SnapshotError(JournalError):
    """A snapshot is corrupt, of an unknown version, or holds a refused dtype."""


class WriterStoppedFullError(JournalFullError, WriterClosedError):
    """A writer that a full disk stopped was asked to write again (both a full journal and a
    closed writer, so either handler sees the real cause)."""
