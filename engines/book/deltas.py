"""Building BOOK_DELTA record arrays from columns (tests, generators, snapshot restore).

Columns are assigned in bulk; the records are INPUT records with ``seq`` 0 (the ring stamps it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from domain.enums import BookLevel, RecordFlag
from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind


def book_deltas(instrument_id: int, action: Sequence[int] | np.ndarray,
                side: Sequence[int] | np.ndarray, price: Sequence[int] | np.ndarray,
                size: Sequence[int] | np.ndarray, order_id: Sequence[int] | np.ndarray | None = None,
                *, level: BookLevel = BookLevel.L3, last: bool | Sequence[bool] = True,
                ts_init: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
    """Returns a RECORD_DTYPE array of BOOK_DELTA records, one per element of the columns.

    ``last`` sets the LAST flag on every record (True), none (False) or per record; ``ts_init``
    defaults to 1, 2, 3, ... (``ts_event`` equals it).
    """
    n = len(action)
    records = np.zeros(n, RECORD_DTYPE)
    v = records.view(KIND_DTYPES[Kind.BOOK_DELTA])
    v["kind"], v["instrument_id"], v["level"] = Kind.BOOK_DELTA, instrument_id, level
    v["action"], v["side"], v["price"], v["size"] = action, side, price, size
    v["order_id"] = 0 if order_id is None else np.asarray(order_id, np.uint64)
    flags = np.full(n, RecordFlag.INPUT, np.uint16)
    flags |= np.where(np.broadcast_to(np.asarray(last, bool), (n,)), np.uint16(RecordFlag.LAST),
                      np.uint16(0))
    v["flags"] = flags
    times = np.arange(1, n + 1, dtype=np.int64) if ts_init is None else np.asarray(ts_init)
    v["ts_init"], v["ts_event"] = times, times
    return records
