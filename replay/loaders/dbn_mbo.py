"""DBN MBO records -> BOOK_DELTA records in one numba pass (the hot path of MBO loading).

Design contract: :func:`fill_mbo` writes every 128-byte output record as sixteen 64-bit words
(the RECORD_DTYPE layout of BOOK_DELTA, checked against ``domain.kinds`` at import) from the
raw MBO columns; the caller has already refused unknown actions and sides. A price that is
not a multiple of ``factor`` (1e-9 units per raw unit) is not written: its index is returned.
"""

from __future__ import annotations

import numpy as np

from domain.enums import BookLevel, RecordFlag
from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
from domain.schema import NULL_I64
from engines.jit import njit

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


@njit(cache=True)
def _fill(out, ts_event, ts_recv, order_id, price, size, flags, action, side, sequence,
          actions, sides, word4, word5, level, factor, undef, null, dbn_bits, our_flags
          ):  # pragma: no cover - compiled
    for i in range(len(out)):
        p = price[i]
        a = actions[action[i]]
        s = sides[side[i]]
        if a == 0 or s == 255:
            return i
        if a == 1 and (size[i] == 0 or p == undef or s == 0):
            return i
        if p == undef:
            scaled = null
        elif p % factor != 0:
            return i
        else:
            scaled = p // factor
        f = np.uint64(flags[i])
        rf = np.uint64(1)
        for b in range(4):
            if f & dbn_bits[b]:
                rf |= our_flags[b]
        out[i, 0] = 0
        out[i, 1] = np.uint64(ts_event[i])
        out[i, 2] = np.uint64(ts_recv[i])
        out[i, 3] = 0
        out[i, 4] = word4 | (rf << np.uint64(16))
        out[i, 5] = word5 | (np.uint64(a) << np.uint64(48)) | (np.uint64(s) << np.uint64(56))
        out[i, 6] = level | (f << np.uint64(8))
        out[i, 7] = np.uint64(scaled)
        out[i, 8] = np.uint64(size[i])
        out[i, 9] = np.uint64(order_id[i])
        out[i, 10] = np.uint64(sequence[i])
        for w in range(11, 16):
            out[i, w] = 0
    return -1


def fill_mbo(raw: np.ndarray, actions: np.ndarray, sides: np.ndarray, instrument_id: int,
             precision: int, source: int) -> tuple[np.ndarray, int]:
    """Returns (BOOK_DELTA records as RECORD_DTYPE, index of the first record that cannot be
    converted or -1); ``actions`` / ``sides`` map DBN bytes to codes (0 / 255: unknown)."""
    n = len(raw)
    words = np.empty((n, 16), np.uint64)
    word4 = np.uint64(Kind.BOOK_DELTA) | (np.uint64(source) << np.uint64(32))
    word5 = np.uint64(instrument_id) | (np.uint64(precision) << np.uint64(32))
    bad = _fill(words, raw["ts_event"], raw["ts_recv"], raw["order_id"], raw["price"],
                raw["size"], raw["flags"], raw["action"], raw["side"], raw["sequence"], actions,
                sides, word4, word5, np.uint64(BookLevel.L3), np.int64(10 ** (9 - precision)),
                np.int64(2**63 - 1), np.int64(NULL_I64), _DBN_BITS, _OUR_FLAGS) if n else -1
    return words.view(RECORD_DTYPE).reshape(n), int(bad)
