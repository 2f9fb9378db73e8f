"""The LMDB environment of a journal: creation, opening checks, map growth.

Design contract:
- a journal is a directory holding an LMDB environment (``data.mdb``) with the sub-databases of
  :mod:`journal.format`; its meta records the format version and schema fingerprint at creation;
- opening checks, before any record is read: the data file exists and is not truncated (a
  truncated file would fault the memory map), it is an LMDB file, it has ringbus meta, and its
  fingerprint equals :data:`domain.kinds.SCHEMA_FINGERPRINT` (else :class:`SchemaMismatch`);
- a damaged LMDB meta page, a sub-database LMDB cannot open in a directory a ringbus writer
  used, or a meta value one byte off while the records check, raise :class:`StructureError`
  (a finding, exit 1), not NotAJournalError / SchemaMismatch (exit 2);
- a read-only open refuses, with :class:`RollbackError`, a journal that ends before its
  high-water mark (:mod:`journal.highwater`);
- opening never executes anything from the file: values are raw bytes, integers and JSON;
- ``write`` runs a write transaction and retries it after growing the map when LMDB reports the
  map full; a map that would exceed ``max_map_size`` or a full disk (ENOSPC, EDQUOT, EFBIG,
  or LMDB's EIO for a short write while the filesystem is nearly full or the file reached
  RLIMIT_FSIZE) raises :class:`JournalFullError` with the transaction aborted, so the journal
  keeps a clean prefix.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import lmdb

from domain.kinds import SCHEMA_FINGERPRINT
from journal import format as fmt
from journal.errors import (
    JournalError,
    JournalFullError,
    NotAJournalError,
    SchemaMismatch,
    StructureError,
)
from journal.failures import (
    made_by_ringbus,
    one_byte_off_and_records_check,
    out_of_space,
    rollback_error,
)
from journal.highwater import Mark, MarkDamaged, read_mark
from journal.metapages import meta_damage
from ringbus._version import __version__

T = TypeVar("T")
_U8 = struct.Struct("<Q")
DEFAULT_MAP_SIZE = 64 << 20
DEFAULT_MAX_MAP_SIZE = 1 << 40


class Journal:
    """An open journal environment. Not thread-safe; one per process and path is enough."""

    def __init__(
        self,
        path: Path,
        env: lmdb.Environment,
        *,
        readonly: bool,
        max_map_size: int = DEFAULT_MAX_MAP_SIZE,
    ) -> None:
        self.path = path
        self.env = env
        self.readonly = readonly
        self.max_map_size = max_map_size
        try:
            self.records_db = env.open_db(fmt.DB_RECORDS, create=not readonly)
            self.meta_db = env.open_db(fmt.DB_META, create=not readonly)
            self.runs_db = env.open_db(fmt.DB_RUNS, create=not readonly)
            self.snapshots_db = env.open_db(fmt.DB_SNAPSHOTS, create=not readonly)
        except lmdb.Error as exc:
            env.close()
            if made_by_ringbus(path):
                raise StructureError(f"LMDB cannot open its sub-databases: {exc}", after_seq=0,
                                     path=str(path / fmt.DATA_FILE)) from None
            raise NotAJournalError(f"{path}: not a ringbus journal ({exc})") from None

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        readonly: bool = True,
        create: bool = False,
        durability: str = "sync",
        map_size: int = DEFAULT_MAP_SIZE,
        max_map_size: int = DEFAULT_MAX_MAP_SIZE,
        writemap: bool = False,
    ) -> Journal:
        """Opens (or with ``create``, creates) the journal at directory ``path``.

        ``durability`` sets the environment's fsync behaviour for writers: ``"none"`` never
        fsyncs; ``"sync"`` and ``"batch"`` fsync every commit.
        Raises NotAJournalError, SchemaMismatch.
        """
        path = Path(path)
        data = path / fmt.DATA_FILE
        try:
            mark: Mark | MarkDamaged | None = read_mark(path) if readonly else None
        except MarkDamaged as exc:
            mark = exc  # verify reports it; reading the records does not depend on it
        if not data.is_file():
            if not create:
                what = "is not a directory" if not path.is_dir() else f"has no {fmt.DATA_FILE}"
                raise NotAJournalError(f"{path}: not a journal ({what})")
            path.mkdir(parents=True, exist_ok=True)
        elif data.stat().st_size == 0:
            raise NotAJournalError(f"{data}: empty file, not a journal")
        fsync = durability != "none"
        writemap = writemap and not readonly
        try:
            env = lmdb.open(
                str(path), map_size=map_size, max_dbs=fmt.MAX_DBS, readonly=readonly,
                sync=fsync, metasync=fsync, readahead=False, max_readers=256,
                create=create, writemap=writemap,
            )
        except lmdb.Error as exc:
            if "already open in this process" in str(exc):
                raise JournalError(
                    f"{path}: the journal is already open in this process (py-lmdb allows one "
                    f"environment per path): reuse it, e.g. JournalReader(writer.journal)"
                ) from None
            env = _open_on_readonly_media(path, readonly, map_size) if readonly else None
            if env is None:
                damage = meta_damage(data) if data.is_file() else None
                if damage is not None:
                    raise StructureError(f"{damage} ({exc})", after_seq=0,
                                         path=str(data)) from None
                raise NotAJournalError(f"{data}: cannot open as LMDB: {exc}") from None
        if data.is_file() and not create:
            damage = meta_damage(data)
            if damage is not None:
                env.close()
                raise StructureError(damage, after_seq=0, path=str(data))
        try:
            _check_not_truncated(env, data)
        except NotAJournalError:
            env.close()
            raise
        journal = cls(path, env, readonly=readonly, max_map_size=max_map_size)
        try:
            journal._check_meta(create)
            if readonly and isinstance(mark, Mark):
                journal._check_not_rolled_back(mark)
        except Exception:
            env.close()
            raise
        return journal

    def _check_not_rolled_back(self, mark: Mark) -> None:
        """Refuses a journal that ends before its high-water mark (read before any LMDB
        transaction began, so a live writer can only have moved the journal further)."""
        with self.read_txn() as txn:
            cursor = txn.cursor(self.records_db)
            if not cursor.last() or len(cursor.value()) < fmt.BATCH_HEADER_SIZE:
                last = 0
            else:
                last = fmt.key_seq(cursor.key()) + fmt.BATCH_HEADER.unpack_from(
                    cursor.value())[1] - 1
        if mark.last_seq > last:
            raise rollback_error(self.path, mark.last_seq, last, "")

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        durability: str = "sync",
        map_size: int = DEFAULT_MAP_SIZE,
        max_map_size: int = DEFAULT_MAX_MAP_SIZE,
        writemap: bool = False,
    ) -> Journal:
        """Creates the journal at ``path`` if missing and opens it writable."""
        return cls.open(path, readonly=False, create=True, durability=durability,
                        map_size=map_size, max_map_size=max_map_size, writemap=writemap)

    def _check_meta(self, create: bool) -> None:
        try:
            with self.env.begin(db=self.meta_db) as txn:
                version = txn.get(fmt.META_FORMAT_VERSION)
                fingerprint = txn.get(fmt.META_SCHEMA_FINGERPRINT)
        except lmdb.Error as exc:
            raise self._damaged(f"LMDB cannot read the meta sub-database: {exc}") from None
        if version is None or fingerprint is None:
            if not create:
                if made_by_ringbus(self.path):
                    raise self._damaged("the journal meta entries are missing")
                raise NotAJournalError(f"{self.path}: LMDB file without ringbus journal meta")
            self.write(self._init_meta)
            return
        if len(version) != 8 or len(fingerprint) != 8:
            if made_by_ringbus(self.path):
                raise self._damaged(f"journal meta of {len(version)} and {len(fingerprint)} "
                                    f"bytes, not 8")
            raise NotAJournalError(f"{self.path}: malformed journal meta")
        stored_version = _U8.unpack(version)[0]
        stored_fp = _U8.unpack(fingerprint)[0]
        if stored_version != fmt.FORMAT_VERSION:
            if one_byte_off_and_records_check(self, _U8.pack(fmt.FORMAT_VERSION), version):
                raise self._damaged(f"meta format_version reads {stored_version}, but the "
                                    f"records check as format {fmt.FORMAT_VERSION}")
            raise SchemaMismatch(
                f"{self.path}: journal format version {stored_version}, this build reads "
                f"{fmt.FORMAT_VERSION}"
            )
        if stored_fp != SCHEMA_FINGERPRINT:
            if one_byte_off_and_records_check(self, _U8.pack(SCHEMA_FINGERPRINT), fingerprint):
                raise self._damaged(f"meta schema_fingerprint reads {stored_fp:016x}, one byte "
                                    f"off this build's {SCHEMA_FINGERPRINT:016x}, and the "
                                    f"records check")
            raise SchemaMismatch(
                f"{self.path}: journal schema fingerprint {stored_fp:016x}, this build has "
                f"{SCHEMA_FINGERPRINT:016x}"
            )

    def _damaged(self, why: str) -> StructureError:
        return StructureError(why, after_seq=0, path=str(self.path / fmt.DATA_FILE))

    def _init_meta(self, txn: lmdb.Transaction) -> None:
        txn.put(fmt.META_FORMAT_VERSION, _U8.pack(fmt.FORMAT_VERSION), db=self.meta_db)
        txn.put(fmt.META_SCHEMA_FINGERPRINT, _U8.pack(SCHEMA_FINGERPRINT), db=self.meta_db)
        txn.put(fmt.META_CREATED_BY, f"ringbus {__version__}".encode(), db=self.meta_db)

    @property
    def schema_fingerprint(self) -> int:
        """The fingerprint stored at creation (equal to this build's, or open would have failed)."""
        return SCHEMA_FINGERPRINT

    def read_txn(self) -> lmdb.Transaction:
        """Begins a read transaction with zero-copy buffers, adopting a map grown elsewhere."""
        try:
            return self.env.begin(buffers=True)
        except lmdb.MapResizedError:
            self.env.set_mapsize(0)
            return self.env.begin(buffers=True)

    def write(self, fn: Callable[[lmdb.Transaction], T]) -> T:
        """Runs ``fn`` in a write transaction and commits; grows the map and retries when full."""
        while True:
            try:
                with self.env.begin(write=True) as txn:
                    return fn(txn)
            except lmdb.MapFullError:
                self._grow()
            except lmdb.MapResizedError:
                self.env.set_mapsize(0)
            except lmdb.Error as exc:
                why = out_of_space(self.path / fmt.DATA_FILE, exc)
                if why is not None:
                    raise JournalFullError(f"{self.path}: {why}: {exc}") from None
                raise

    def _grow(self) -> None:
        current = self.env.info()["map_size"]
        if current >= self.max_map_size:
            raise JournalFullError(
                f"{self.path}: LMDB map is full at {current} bytes and max_map_size is "
                f"{self.max_map_size}; nothing of the failed commit was written"
            )
        self.env.set_mapsize(min(current * 2, self.max_map_size))

    def size_on_disk(self) -> int:
        """Returns the bytes used by the data file (allocated blocks, not the sparse map size)."""
        st = (self.path / fmt.DATA_FILE).stat()
        return min(st.st_size, st.st_blocks * 512)

    def close(self) -> None:
        """Closes the environment; views obtained from it must not be used afterwards."""
        self.env.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_not_truncated(env: lmdb.Environment, data: Path) -> None:
    info = env.info()
    psize = env.stat()["psize"]
    needed = (info["last_pgno"] + 1) * psize
    actual = data.stat().st_size
    if actual < needed:
        damage = meta_damage(data)
        if damage is not None:  # the other meta page fits the file: one meta is damaged
            raise StructureError(damage, after_seq=0, path=str(data))
        raise NotAJournalError(
            f"{data}: truncated: {actual} bytes, its last page ends at byte {needed}"
        )


def _open_on_readonly_media(path: Path, readonly: bool, map_size: int) -> lmdb.Environment | None:
    """Opens without LMDB's lock file when it cannot be created (a journal on read-only media:
    no writer can be appending to it there). Returns None when that fails too."""
    if (path / "lock.mdb").exists() or os.access(path, os.W_OK):
        return None
    try:
        return lmdb.open(str(path), map_size=map_size, max_dbs=fmt.MAX_DBS, readonly=True,
                         lock=False, readahead=False, create=False)
    except lmdb.Error:
        return None
