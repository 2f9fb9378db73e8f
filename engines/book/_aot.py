"""The book kernels' ahead-of-time exports: names, numba dispatchers and exact signatures.

Imported only to build the compiled module (:mod:`engines.aot`); the signatures are the argument
types the book classes pass (int64 C-contiguous arrays, a 1-D C-contiguous BOOK_DELTA batch).
"""

from __future__ import annotations

from typing import Any

from numba import from_dtype, types

from domain.kinds import KIND_DTYPES, Kind
from engines.book import _l2_apply, _l3_apply, _orders


def exports() -> list[tuple[str, Any, Any]]:
    """Returns (exported name, dispatcher, signature) of every kernel the books call."""
    i64, flag = types.int64, types.boolean
    v, m, cube = (types.Array(i64, n, "C") for n in (1, 2, 3))
    batch = types.Array(from_dtype(KIND_DTYPES[Kind.BOOK_DELTA]), 1, "C")
    status = types.UniTuple(i64, 3)
    return [
        ("apply_l2", _l2_apply.apply_l2, status(batch, i64, i64, cube, v, v, v, m, flag, v, i64)),
        ("apply_l3", _l3_apply.apply_l3,
         status(batch, i64, i64, cube, v, m, v, v, v, v, m, flag, v, i64)),
        ("clear_l3", _l3_apply.clear_l3, types.none(cube, v, m, v, v)),
        ("rehash", _orders.rehash, types.none(m, i64, v, v)),
        ("lookup", _orders.lookup, i64(v, v, i64)),
        ("volume_ahead", _orders.volume_ahead, types.UniTuple(i64, 2)(cube, v, m, i64)),
        ("collect", _orders.collect, types.Tuple((types.Array(types.uint8, 1, "C"), v, v, v))(
            cube, v, m, i64)),
    ]
