"""The LMDB environment of a journal: creation, opening checks, map growth.

Design contract:
- a journal is a directory holding an LMDB environment (``data.mdb``) with the sub-databases of
  :mod:`journal.format`; its meta records the format version and schema fingerprint at creation;
- opening checks, before any record is read: the data file exists and is not truncated (a
  truncated file would fault the memory map), it is an LMDB file, it has ringbus meta, and its
  fingerprint equals :data:`domain.kinds.SCHEMA_FINGERPRINT` (else :class:`SchemaMismatch`);
- opening never executes anything from the file: values are raw bytes, integers and JSON;
- ``write`` runs a write transaction and retries it after growing the map when LMDB reports the
  map full; a map that would exceed ``max_map_size`` or a full disk raises
  :class:`JournalFullError` with the transaction aborted, so the journal keeps a clean prefix.
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
from journal.errors import JournalError, JournalFullError, NotAJournalError, SchemaMismatch
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
                raise NotAJournalError(f"{data}: cannot open as LMDB: {exc}") from None
        try:
            _check_not_truncated(env, data)
        except NotAJournalError:
            env.close()
            raise
        journal = cls(path, env, readonly=readonly, max_map_size=max_map_size)
        try:
            journal._check_meta(create)
        except Exception:
            env.close()
            raise
        return journal

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
        with self.env.begin(db=self.meta_db) as txn:
            version = txn.get(fmt.META_FORMAT_VERSION)
            fingerprint = txn.get(fmt.META_SCHEMA_FINGERPRINT)
        if version is None or fingerprint is None:
            if not create:
                raise NotAJournalError(f"{self.path}: LMDB file without ringbus journal meta")
            self.write(self._init_meta)
            return
        if len(version) != 8 or len(fingerprint) != 8:
            raise NotAJournalError(f"{self.path}: malformed journal meta")
        stored_version = _U8.unpack(version)[0]
        stored_fp = _U8.unpack(fingerprint)[0]
        if stored_version != fmt.FORMAT_VERSION:
            raise SchemaMismatch(
                f"{self.path}: journal format version {stored_version}, this build reads "
                f"{fmt.FORMAT_VERSION}"
            )
        if stored_fp != SCHEMA_FINGERPRINT:
            raise SchemaMismatch(
                f"{self.path}: journal schema fingerprint {stored_fp:016x}, this build has "
                f"{SCHEMA_FINGERPRINT:016x}"
            )

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
                if "No space left" in str(exc) or isinstance(exc, lmdb.DiskError):
                    raise JournalFullError(f"{self.path}: disk full: {exc}") from None
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
