"""Framing of one stored batch: building a value from records and checking one read back.

Design contract:
- a value is ``BATCH_HEADER`` + ``n`` raw records; its key is the big-endian seq of the first;
- ``decode_batch`` returns a zero-copy view of the records only after checking the magic, the
  length, that the key, header and records agree on the first seq, that seq is contiguous from
  ``expected_seq`` and ts_init non-decreasing from ``prev_ts_init``, and the checksum; any
  failure raises :class:`CorruptionError` naming the seq range and file.
"""

from __future__ import annotations

import struct

import numpy as np

from domain.kinds import RECORD_DTYPE
from journal import format as fmt
from journal.checksum import SEQ_GAP, batch_checksum, scan_records, words_of
from journal.errors import CorruptionError

TS_MIN = -(1 << 63)
# the header fields frame_batch reads, at RECORD_DTYPE's offsets (struct: no numpy per value)
_SEQ_AT, _TS_AT = RECORD_DTYPE.fields["seq"][1], RECORD_DTYPE.fields["ts_init"][1]
_SEQ, _TS = struct.Struct("<Q"), struct.Struct("<q")


def frame_batch(buffer: bytearray, n_records: int) -> memoryview:
    """Writes the header of the ``n_records`` records staged after it in ``buffer``.

    Returns the view of the finished value. The records are assumed already checked for order.
    """
    start = fmt.BATCH_HEADER_SIZE
    end = start + n_records * fmt.RECORD_SIZE
    (first_seq,) = _SEQ.unpack_from(buffer, start + _SEQ_AT)
    (last_ts,) = _TS.unpack_from(buffer, end - fmt.RECORD_SIZE + _TS_AT)
    checksum = batch_checksum(memoryview(buffer)[fmt.BATCH_HEADER_SIZE : end], first_seq)
    fmt.BATCH_HEADER.pack_into(
        buffer, 0, fmt.BATCH_MAGIC, n_records, checksum, first_seq, last_ts
    )
    return memoryview(buffer)[:end]


def batch_bounds(key: bytes | memoryview, value: bytes | memoryview) -> tuple[int, int, int]:
    """Returns ``(first_seq, n_records, last_ts_init)`` from a value's header, unchecked."""
    if len(value) < fmt.BATCH_HEADER_SIZE:
        first = fmt.key_seq(key)
        return first, 0, TS_MIN
    _, n, _, first, last_ts = fmt.BATCH_HEADER.unpack_from(value, 0)
    return fmt.key_seq(key), n, last_ts


def decode_batch(
    key: bytes | memoryview,
    value: bytes | memoryview,
    path: str,
    expected_seq: int | None,
    prev_ts_init: int = TS_MIN,
) -> np.ndarray:
    """Returns the checked records of one stored batch as a RECORD_DTYPE view of ``value``."""
    key_first = fmt.key_seq(key)
    if len(value) < fmt.BATCH_HEADER_SIZE:
        raise CorruptionError(
            f"batch value is {len(value)} bytes, shorter than its header",
            seq_range=(key_first, key_first), path=path,
        )
    magic, n, checksum, first, _ = fmt.BATCH_HEADER.unpack_from(value, 0)
    claimed = (key_first, key_first + max(n, 1) - 1)
    if magic != fmt.BATCH_MAGIC:
        raise CorruptionError(f"bad batch magic {magic!r}", seq_range=claimed, path=path)
    if len(value) != fmt.BATCH_HEADER_SIZE + n * fmt.RECORD_SIZE or n == 0:
        raise CorruptionError(
            f"batch of {n} records has {len(value)} bytes", seq_range=claimed, path=path
        )
    if first != key_first:
        raise CorruptionError(
            f"batch header says first seq {first}, key says {key_first}",
            seq_range=claimed, path=path,
        )
    if expected_seq is not None and key_first != expected_seq:
        raise CorruptionError(
            f"gap: expected seq {expected_seq}, next batch starts at {key_first}",
            seq_range=(min(expected_seq, key_first), max(expected_seq, key_first)), path=path,
        )
    words = words_of(value, fmt.BATCH_HEADER_SIZE, n)
    actual, bad, reason = scan_records(words, key_first, prev_ts_init)
    if bad >= 0:
        what = "seq not contiguous" if reason == SEQ_GAP else "ts_init goes backwards"
        raise CorruptionError(
            f"{what} at record {bad} of the batch (seq {key_first + bad})",
            seq_range=claimed, path=path,
        )
    if int(actual) != checksum:
        raise CorruptionError(
            f"checksum mismatch: stored {checksum:016x}, computed {int(actual):016x}",
            seq_range=claimed, path=path,
        )
    return np.frombuffer(value, dtype=RECORD_DTYPE, count=n, offset=fmt.BATCH_HEADER_SIZE)
