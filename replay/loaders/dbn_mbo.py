"""DBN MBO records -> BOOK_DELTA records in one compiled pass (the hot path of MBO loading).

Design contract: :func:`fill_mbo` writes every 128-byte output record as sixteen 64-bit words
(the RECORD_DTYPE layout of BOOK_DELTA, checked against ``domain.kinds`` at import) from the
raw MBO columns; the caller has already refused unknown actions and sides. A price that is
not a multiple of ``factor`` (1e-9 units per raw unit) is not written: its index is returned.
The kernel (:mod:`._dbn_mbo_kernel`) runs compiled ahead of time (:mod:`engines.aot`: no numba in
a warm process) when the raw columns have the DBN MBO dtypes it was compiled for, else under
numba's JIT.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from domain.enums import BookLevel, RecordFlag
from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
from domain.schema import NULL_I64
from engines import aot

_DELTA = KIND_DTYPES[Kind.BOOK_DELTA]
_WORD = {name: _DELTA.fields[name][1] for name in (
    "ts_event", "ts_init", "kind", "flags", "source", "instrument_id", "price_precision",
    "size_precision", "action", "side", "level", "venue_flags", "price", "size", "order_id",
    "venue_sequence")}
assert _DELTA.itemsize == 128 and _WORD == {
    "ts_event": 8, "ts_init": 16, "kind": 32, "flags": 34, "source": 36, "instrument_id": 40,
    "price_precision": 44, "size_precision": 45, "action": 46, "side": 47, "level": 48,
    "venue_flags": 49, "price": 56, "size": 64, "order_id": 72, "venue_sequence": 80}
_DBN_BITS = np.array([0x80, 0x20, 0x08, 0x04], np.uint64)
_OUR_FLAGS = np.array([RecordFlag.LAST, RecordFlag.SNAPSHOT, RecordFlag.BAD_TS,
                       RecordFlag.MAYBE_BAD_BOOK], np.uint64)
_HERE = Path(__file__).resolve().parent
_SOURCES = (_HERE / "_dbn_mbo_kernel.py", _HERE.parents[1] / "engines" / "jit.py")
#: the raw columns the kernel reads and the dtypes its compiled module takes
_COLUMNS = {"ts_event": "<u8", "ts_recv": "<u8", "order_id": "<u8", "price": "<i8", "size": "<u4",
            "flags": "u1", "action": "u1", "side": "u1", "sequence": "<u4"}


@functools.cache
def _compiled() -> Any:
    module = aot.load("ringbus_dbn_kernels", _SOURCES, "replay.loaders._dbn_mbo_kernel")
    return None if module is None else module.fill


def _kernel(raw: np.ndarray, *tables: np.ndarray) -> Any:
    """Returns the compiled kernel if ``raw``'s columns and the code ``tables`` have the types it
    was compiled for, else numba's."""
    fields = raw.dtype.fields or {}
    if raw.ndim == 1 and all(c in fields and fields[c][0] == np.dtype(t)
                             for c, t in _COLUMNS.items()) and all(
            t.dtype == np.uint8 and t.ndim == 1 and t.flags.c_contiguous for t in tables):
        compiled = _compiled()
        if compiled is not None:
            return compiled
    from replay.loaders._dbn_mbo_kernel import _fill

    return _fill


def fill_mbo(raw: np.ndarray, actions: np.ndarray, sides: np.ndarray, instrument_id: int,
             precision: int, source: int) -> tuple[np.ndarray, int]:
    """Returns (BOOK_DELTA records as RECORD_DTYPE, index of the first record that cannot be
    converted or -1); ``actions`` / ``sides`` map DBN bytes to codes (0 / 255: unknown)."""
    n = len(raw)
    words = np.empty((n, 16), np.uint64)
    word4 = np.uint64(Kind.BOOK_DELTA) | (np.uint64(source) << np.uint64(32))
    word5 = np.uint64(instrument_id) | (np.uint64(precision) << np.uint64(32))
    bad = _kernel(raw, actions, sides)(words, raw["ts_event"], raw["ts_recv"], raw["order_id"], raw["price"],
                raw["size"], raw["flags"], raw["action"], raw["side"], raw["sequence"], actions,
                sides, word4, word5, np.uint64(BookLevel.L3), np.int64(10 ** (9 - precision)),
                np.int64(2**63 - 1), np.int64(NULL_I64), _DBN_BITS, _OUR_FLAGS) if n else -1
    return words.view(RECORD_DTYPE).reshape(n), int(bad)
