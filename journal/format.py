"""The on-disk layout: sub-database names, keys, meta entries and the batch value framing.

Design contract:
- beside ``data.mdb``: ``writer.lock`` (journal.lock), ``high_water`` (journal.highwater) and
  ``tailers/`` (journal.notify);
- ``records`` maps big-endian u8 first-seq -> one batch value: a 32-byte header
  (magic, record count, checksum, first seq, last ts_init) followed by the raw 128-byte records;
- ``meta`` holds the format version and the schema fingerprint, written once at creation;
- ``runs`` maps big-endian seq -> the raw 128 bytes of each RUN_STARTED / RUN_ENDED /
  RUN_RECOVERED record (an index, written in the same transaction as the batch holding it);
- ``snapshots`` maps big-endian seq -> a snapshot value (see :mod:`journal.snapshots`).
"""

from __future__ import annotations

import struct

#: 2: batch checksum is xxh3-64 (journal.checksum); 1 (a numba hash) is refused, never misread.
FORMAT_VERSION = 2
DATA_FILE = "data.mdb"
LOCK_FILE = "writer.lock"
HIGH_WATER_FILE = "high_water"  # journal.highwater: last committed seq + chained checksum
TAILERS_DIR = "tailers"

DB_RECORDS = b"records"
DB_META = b"meta"
DB_RUNS = b"runs"
DB_SNAPSHOTS = b"snapshots"
MAX_DBS = 8

META_FORMAT_VERSION = b"format_version"
META_SCHEMA_FINGERPRINT = b"schema_fingerprint"
META_CREATED_BY = b"created_by"
META_DURABILITY = b"durability"  # of the latest writer

BATCH_MAGIC = b"RBJ1"
#: magic, n_records u4, checksum u8, first_seq u8, last_ts_init i8
BATCH_HEADER = struct.Struct("<4sIQQq")
BATCH_HEADER_SIZE = BATCH_HEADER.size  # 32
RECORD_SIZE = 128
#: 4095 records + the header fill 128 LMDB overflow pages exactly (k * 4096 - 16 bytes).
DEFAULT_VALUE_RECORDS = 4095

_KEY = struct.Struct(">Q")


def seq_key(seq: int) -> bytes:
    """Returns the big-endian key of ``seq`` (keys sort in seq order)."""
    return _KEY.pack(seq)


def key_seq(key: bytes | memoryview) -> int:
    """Returns the seq of a big-endian key."""
    return _KEY.unpack(bytes(key))[0]
