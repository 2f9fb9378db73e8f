"""Databento's ``status`` schema -> INSTRUMENT_STATUS records (through ``databento-dbn``).

Design contract:
- reached from :func:`replay.loaders.dbn.iter_dbn` (its schema hook) for a DBN file of schema
  ``status``; each ``StatusMsg`` becomes one INPUT INSTRUMENT_STATUS record stamped with
  ``instrument_id``, ``ts_event`` the venue's, ``ts_init`` the receive time, as the other DBN
  schemas do; action / reason / trading event keep Databento's codes
  (:class:`domain.enums.MarketStatus` mirrors ``StatusAction``); the tri-states become 1 / 0 /
  255 (not stated);
- an action code outside ``MarketStatus`` or a record of another type fails with
  :class:`~replay.loaders.dbn_errors.DbnFormatError` naming the file and record index.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import databento_dbn as dbn
import numpy as np

from domain.enums import MarketStatus, RecordFlag
from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
from replay.loaders.dbn_errors import DbnFormatError

_PIECE_BYTES = 1 << 16
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_NOT_STATED = 255
_ACTIONS = frozenset(int(a) for a in MarketStatus)


def _tri(value: object) -> int:
    return _NOT_STATED if value is None else int(bool(value))


def _messages(path: str) -> Iterator[tuple[int, dbn.StatusMsg]]:
    """Yields (record index, message) of a status file, after checking its metadata."""
    index, meta = 0, None
    with open(path, "rb") as f:
        piece = f.read(_PIECE_BYTES)
        zstd = piece.startswith(_ZSTD_MAGIC)
        decoder = dbn.DBNDecoder(compression=dbn.Compression.ZSTD if zstd else
                                 dbn.Compression.NONE)
        while piece:
            try:
                decoder.write(piece)
                objs = decoder.decode()
            except Exception as exc:  # the binding raises plain RuntimeError/ValueError
                raise DbnFormatError(path, index, f"corrupt DBN data: {exc}") from exc
            for obj in objs:
                if meta is None:
                    meta = obj
                    if not isinstance(obj, dbn.Metadata) or str(obj.schema) != "status":
                        raise DbnFormatError(path, 0, "not a DBN file of schema status")
                    continue
                if not isinstance(obj, dbn.StatusMsg):
                    raise DbnFormatError(path, index, f"unexpected record type "
                                         f"{type(obj).__name__} in a status file")
                yield index, obj
                index += 1
            piece = f.read(_PIECE_BYTES)
    if meta is None:
        raise DbnFormatError(path, 0, "no DBN metadata: empty or truncated file")
    if decoder.buffer():
        raise DbnFormatError(path, index, "truncated file: an incomplete record at the end")


def _record(path: str, index: int, msg: dbn.StatusMsg, instrument_id: int,
            source: int) -> np.ndarray:
    action = int(msg.action)
    if action not in _ACTIONS:
        raise DbnFormatError(path, index, f"status action {action} is not a known StatusAction")
    out = np.zeros(1, RECORD_DTYPE)
    v = out.view(KIND_DTYPES[Kind.INSTRUMENT_STATUS])
    v["kind"], v["source"], v["flags"] = Kind.INSTRUMENT_STATUS, source, RecordFlag.INPUT
    v["ts_event"], v["ts_init"] = msg.ts_event, msg.ts_recv
    v["instrument_id"], v["action"] = instrument_id, action
    v["reason"], v["trading_event"] = int(msg.reason), int(msg.trading_event)
    v["is_trading"], v["is_quoting"] = _tri(msg.is_trading), _tri(msg.is_quoting)
    v["is_short_sell_restricted"] = _tri(msg.is_short_sell_restricted)
    return out


def iter_dbn_status(path: str | Path, instrument_id: int, *, chunk_records: int = 65_536,
                    source: int = 0, **_: object) -> Iterator[np.ndarray]:
    """Yields RECORD_DTYPE arrays of at most ``chunk_records`` INSTRUMENT_STATUS records."""
    path = str(path)
    pending: list[np.ndarray] = []
    for index, msg in _messages(path):
        pending.append(_record(path, index, msg, instrument_id, source))
        if len(pending) == chunk_records:
            yield np.concatenate(pending)
            pending = []
    if pending:
        yield np.concatenate(pending)
