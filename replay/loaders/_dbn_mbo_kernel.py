"""The numba kernel of :mod:`replay.loaders.dbn_mbo` and its ahead-of-time export.

Imported only when the kernel runs under numba's JIT or its compiled module is built
(:mod:`engines.aot`); the word layout it writes is checked in :mod:`.dbn_mbo`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engines.jit import njit


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


def exports() -> list[tuple[str, Any, Any]]:
    """Returns the (name, dispatcher, signature) of the kernel: the raw DBN columns are strided
    views of the decoder's records (layout ``A``), their dtypes those of the DBN MBO record."""
    from numba import types

    def col(t: Any) -> Any:
        return types.Array(t, 1, "A")

    u8, u4, u1, i8 = types.uint64, types.uint32, types.uint8, types.int64
    table = types.Array(u1, 1, "C")
    bits = types.Array(u8, 1, "C")
    return [("fill", _fill, i8(types.Array(u8, 2, "C"), col(u8), col(u8), col(u8), col(i8),
                               col(u4), col(u1), col(u1), col(u1), col(u4), table, table, u8, u8,
                               u8, i8, i8, i8, bits, bits))]
