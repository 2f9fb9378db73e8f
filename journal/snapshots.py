"""Snapshots of derived state, keyed by seq, in a safe versioned container.

Design contract:
- value = 24-byte header (magic ``RBS1``, format version, blake2b-64 of the rest, length of the
  JSON envelope) + the JSON envelope ``{"doc": ..., "arrays": [{name, descr, shape, offset,
  nbytes}]}`` + the arrays' raw bytes, each at an 8-byte aligned offset;
- arrays are rebuilt from their numpy descr by ``numpy.lib.format.descr_to_dtype`` (no eval) and
  any dtype holding Python objects is refused; nothing is ever unpickled;
- a bad magic, version, checksum, envelope or array bound raises SnapshotError naming the seq
  and the file; ``read_snapshot`` returns the newest snapshot at or below a seq, or None.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np
from numpy.lib import format as npformat

from domain.digest import blake2b
from journal.errors import SnapshotError
from journal.format import key_seq, seq_key
from journal.store import Journal

SNAPSHOT_MAGIC = b"RBS1"
SNAPSHOT_VERSION = 1
_HEADER = struct.Struct("<4sHHQQ")  # magic, version, reserved, checksum, envelope length


def _checksum(body: bytes) -> int:
    # Snapshots are rare and off the hot path: a cryptographic-strength hash is affordable.
    return int.from_bytes(blake2b(body, digest_size=8).digest(), "little")


def encode_snapshot(doc: Any, arrays: dict[str, np.ndarray]) -> bytes:
    """Returns the stored form of (doc, arrays); raises SnapshotError for a refused dtype."""
    entries, blobs, offset = [], [], 0
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        if array.dtype.hasobject:
            raise SnapshotError(f"snapshot array {name!r} has object dtype {array.dtype}")
        data = array.tobytes()
        entries.append({"name": name, "descr": npformat.dtype_to_descr(array.dtype),
                        "shape": list(array.shape), "offset": offset, "nbytes": len(data)})
        pad = -len(data) % 8
        blobs.append(data + b"\0" * pad)
        offset += len(data) + pad
    envelope = json.dumps({"doc": doc, "arrays": entries}, sort_keys=True,
                          separators=(",", ":"), allow_nan=False).encode()
    envelope += b" " * (-len(envelope) % 8)
    body = envelope + b"".join(blobs)
    header = _HEADER.pack(SNAPSHOT_MAGIC, SNAPSHOT_VERSION, 0, _checksum(body), len(envelope))
    return header + body


def decode_snapshot(value: bytes | memoryview, seq: int, path: str
                    ) -> tuple[Any, dict[str, np.ndarray]]:
    """Returns (doc, arrays) of a stored snapshot, checked; arrays are copies."""
    def bad(why: str) -> SnapshotError:
        return SnapshotError(f"{path}: snapshot at seq {seq}: {why}")

    value = bytes(value)
    if len(value) < _HEADER.size:
        raise bad(f"{len(value)} bytes, shorter than its header")
    magic, version, _, checksum, env_len = _HEADER.unpack_from(value)
    if magic != SNAPSHOT_MAGIC:
        raise bad(f"bad magic {magic!r}")
    if version != SNAPSHOT_VERSION:
        raise bad(f"version {version}, this build reads {SNAPSHOT_VERSION}")
    body = value[_HEADER.size :]
    if _checksum(body) != checksum:
        raise bad("checksum mismatch")
    if env_len > len(body):
        raise bad(f"envelope length {env_len} beyond the value")
    try:
        envelope = json.loads(body[:env_len])
        doc, entries = envelope["doc"], envelope["arrays"]
    except (ValueError, KeyError, TypeError) as exc:
        raise bad(f"malformed envelope: {exc}") from None
    blobs = body[env_len:]
    arrays = {}
    for entry in entries:
        try:
            name, descr = str(entry["name"]), entry["descr"]
            shape = tuple(int(n) for n in entry["shape"])
            offset, nbytes = int(entry["offset"]), int(entry["nbytes"])
            dtype = npformat.descr_to_dtype(
                [tuple(f) for f in descr] if isinstance(descr, list) else descr
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise bad(f"malformed array entry {entry!r}: {exc}") from None
        if dtype.hasobject:
            raise bad(f"array {name!r} has object dtype {dtype}")
        if offset < 0 or offset + nbytes > len(blobs) or int(np.prod(shape)) * dtype.itemsize != nbytes:
            raise bad(f"array {name!r} bounds {offset}+{nbytes} do not fit shape {shape} {dtype}")
        arrays[name] = np.frombuffer(blobs, dtype=dtype, count=int(np.prod(shape)),
                                     offset=offset).reshape(shape).copy()
    return doc, arrays


def write_snapshot(journal: Journal, seq: int, doc: Any, arrays: dict[str, np.ndarray]) -> None:
    """Stores a snapshot at ``seq`` (replacing one stored at the same seq)."""
    if seq < 1:
        raise ValueError(f"snapshot seq must be >= 1, got {seq}")
    value = encode_snapshot(doc, arrays)
    journal.write(lambda txn: txn.put(seq_key(seq), value, db=journal.snapshots_db))


def read_snapshot(journal: Journal, at_or_below: int
                  ) -> tuple[int, Any, dict[str, np.ndarray]] | None:
    """Returns ``(seq, doc, arrays)`` of the newest snapshot at or below ``at_or_below``."""
    with journal.read_txn() as txn:
        cursor = txn.cursor(journal.snapshots_db)
        key = seq_key(at_or_below)
        if cursor.set_range(key):
            if bytes(cursor.key()) != key and not cursor.prev():
                return None
        elif not cursor.last():
            return None
        seq = key_seq(cursor.key())
        doc, arrays = decode_snapshot(cursor.value(), seq, str(journal.path))
        return seq, doc, arrays


def snapshot_seqs(journal: Journal) -> list[int]:
    """Returns the seqs of every stored snapshot, ascending."""
    with journal.read_txn() as txn:
        return [key_seq(k) for k in txn.cursor(journal.snapshots_db).iternext(values=False)]
