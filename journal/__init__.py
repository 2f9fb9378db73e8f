"""journal — the LMDB journal: writer, reader, tailer, integrity checks and snapshots.

Design contract:
- append-only, keyed by big-endian seq of each batch's first record; raw record bytes with a
  checksum per batch (:mod:`journal.batch`, :mod:`journal.checksum`);
- one writer per journal, refused with the holder's pid (:mod:`journal.lock`); the writer checks
  seq contiguity and ts_init order of what it is given, and commits per durability mode
  (``sync`` / ``batch`` / ``none``) in all-or-nothing transactions (:mod:`journal.writer`);
- a crash at any instant leaves a contiguous prefix that opens cleanly; corruption is reported
  with its seq range and file, and nothing after it is applied (:mod:`journal.reader`,
  :mod:`journal.verify`: CLEAN / CRASHED_RUN / CORRUPT / UNREADABLE);
- damaged LMDB pages are StructureError (``journal structure damaged after seq N``), never
  "not a journal" (:mod:`journal.metapages`); a high-water mark beside ``data.mdb`` (last
  committed seq + chained checksum, :mod:`journal.highwater`) makes a rollback to an older
  LMDB meta page a RollbackError; a full disk is JournalFullError keeping the longest prefix;
- opening a journal never executes code from it: values are raw records, integers and JSON;
  a journal of another schema is refused with SchemaMismatch (:mod:`journal.store`);
- runs (manifest, end state) are indexed as they are written (:mod:`journal.runs`); snapshots
  live in their own sub-database (:mod:`journal.snapshots`); tailers in other processes are
  woken by the writer after each commit (:mod:`journal.tailer`, :mod:`journal.notify`).

Modules: store (environment), format (layout), batch (framing), checksum (xxh3-64 and numpy
order checks), writer, staging (the writer's value buffers), highwater (the high-water mark),
metapages (LMDB's meta pages, read with pread), reader, runs, snapshots, notify, tailer,
verify, stored_checks (verify's mark, snapshot and count checks), summary (inspect), lock,
errors, synth (test and benchmark records).
"""

from journal.errors import (
    CorruptionError,
    JournalError,
    JournalFullError,
    NotAJournalError,
    RollbackError,
    SchemaMismatch,
    SequenceGapError,
    SnapshotError,
    StructureError,
    TimestampOrderError,
    WriterClosedError,
    WriterLockedError,
    WriterStoppedFullError,
)
from journal.reader import JournalReader
from journal.store import Journal
from journal.writer import JournalWriter

__all__ = [
    "CorruptionError",
    "Journal",
    "JournalError",
    "JournalFullError",
    "JournalReader",
    "JournalWriter",
    "NotAJournalError",
    "RollbackError",
    "SchemaMismatch",
    "SequenceGapError",
    "SnapshotError",
    "StructureError",
    "TimestampOrderError",
    "WriterClosedError",
    "WriterLockedError",
    "WriterStoppedFullError",
]
