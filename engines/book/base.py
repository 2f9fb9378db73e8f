"""What the L2 and L3 books share: the price-level arrays and the queries over them.

Prices and sizes are raw int64 (scaled by the records' precisions, which the book does not
interpret). Queries read the arrays directly and are O(1) for the top of book, O(n) for depth n.
"""

from __future__ import annotations

import numpy as np

from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
from engines.book._layout import (
    APPLIED,
    ASK,
    BID,
    COUNT,
    KEY,
    N_LOGGED,
    SIZE,
    STATE_SIZE,
    new_levels,
)
from engines.book.issues import (
    ISSUE_LOG_SIZE,
    BookIntegrityError,
    BookIssue,
    BookIssues,
    LoggedIssue,
)

DELTA_DTYPE = KIND_DTYPES[Kind.BOOK_DELTA]
_NO_CROSS_OUT = np.zeros(0, np.int64)


def as_deltas(batch: np.ndarray) -> np.ndarray:
    """Returns a 1-D RECORD_DTYPE or BOOK_DELTA-typed batch as a C-contiguous BOOK_DELTA-typed
    array: a view when the batch is contiguous, else a copy (what the kernels take)."""
    if batch.ndim != 1:
        raise TypeError(f"batch must be 1-D, got {batch.ndim} dimensions")
    if batch.dtype == RECORD_DTYPE:
        batch = batch.view(DELTA_DTYPE)
    elif batch.dtype != DELTA_DTYPE:
        raise TypeError(f"batch dtype must be RECORD_DTYPE or the BOOK_DELTA dtype, got {batch.dtype}")
    return np.ascontiguousarray(batch)


class LevelBook:
    """A book of sorted price levels for one instrument; see subclasses for how deltas apply."""

    def __init__(self, instrument_id: int, *, level_capacity: int = 256,
                 fail_fast: bool = False) -> None:
        if level_capacity < 1:
            raise ValueError(f"level_capacity must be >= 1, got {level_capacity}")
        self.instrument_id = int(instrument_id)
        self.fail_fast = fail_fast
        self._lv = new_levels(level_capacity)
        self._n_lv = np.zeros(2, np.int64)
        self._issue_counts = np.zeros(16, np.int64)
        self._issue_log = np.zeros((ISSUE_LOG_SIZE + 1, 5), np.int64)
        self._state = np.zeros(STATE_SIZE, np.int64)

    # --- applying ------------------------------------------------------------------------------
    def apply(self, batch: np.ndarray) -> None:
        """Applies every BOOK_DELTA record of this instrument in ``batch`` (RECORD_DTYPE or the
        BOOK_DELTA dtype), in order, in one kernel call; other kinds and instruments are skipped."""
        self._run(as_deltas(batch), _NO_CROSS_OUT)

    def apply_checked(self, batch: np.ndarray) -> np.ndarray:
        """Applies ``batch`` like :meth:`apply`; returns the batch indices of the LAST records
        after which the book was crossed or locked."""
        out = np.empty(max(len(batch), 1), np.int64)
        return out[: self._run(as_deltas(batch), out)].copy()

    def _run(self, deltas: np.ndarray, crossed_out: np.ndarray) -> int:
        """Runs the kernel to the end of ``deltas``; returns the number of crossed indices."""
        raise TypeError(f"{type(self).__name__} must implement _run")

    @property
    def n_applied(self) -> int:
        """Returns how many BOOK_DELTA records of this instrument the book has taken."""
        return int(self._state[APPLIED])

    # --- top of book ---------------------------------------------------------------------------
    def best_bid(self) -> tuple[int, int] | None:
        """Returns (price_raw, size_raw) of the best bid, or None when the side is empty."""
        n = int(self._n_lv[BID])
        return None if n == 0 else (int(self._lv[BID, KEY, n - 1]), int(self._lv[BID, SIZE, n - 1]))

    def best_ask(self) -> tuple[int, int] | None:
        """Returns (price_raw, size_raw) of the best ask, or None when the side is empty."""
        n = int(self._n_lv[ASK])
        return None if n == 0 else (-int(self._lv[ASK, KEY, n - 1]), int(self._lv[ASK, SIZE, n - 1]))

    def is_crossed(self) -> bool:
        """True when both sides are non-empty and best bid >= best ask (a locked book counts)."""
        bid, ask = self.best_bid(), self.best_ask()
        return bid is not None and ask is not None and bid[0] >= ask[0]

    def n_levels(self, side: int) -> int:
        """Returns the number of price levels on ``side`` (OrderSide.BUY or SELL)."""
        return int(self._n_lv[_side(side)])

    def depth(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Returns (bids, asks): each an int64 array of shape (k, 2) of (price_raw, size_raw),
        best first, k <= n."""
        out = []
        for s in (BID, ASK):
            m = int(self._n_lv[s])
            k = min(n, m)
            keys = self._lv[s, KEY, m - k:m][::-1]
            sizes = self._lv[s, SIZE, m - k:m][::-1]
            out.append(np.stack([keys if s == BID else -keys, sizes], axis=1))
        return out[0], out[1]

    def level_counts(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Returns the order count per level, best first (L3; zeros for an L2 book)."""
        return tuple(self._lv[s, COUNT, max(0, int(self._n_lv[s]) - n):int(self._n_lv[s])][::-1]
                     .copy() for s in (BID, ASK))

    # --- issues -------------------------------------------------------------------------------
    @property
    def issues(self) -> BookIssues:
        """Returns the bad-input report (counts by kind, first few logged)."""
        return BookIssues.from_arrays(self._issue_counts, self._issue_log, int(self._state[N_LOGGED]))

    def _raise_issue(self) -> None:
        r = self._issue_log[ISSUE_LOG_SIZE]  # the kernels keep the latest issue in the last row
        issue = LoggedIssue(BookIssue(int(r[0])), int(r[1]), int(r[2]),
                            int(np.int64(r[3]).view(np.uint64)), int(r[4]))
        raise BookIntegrityError(issue, self.instrument_id)

    def _grow_levels(self) -> None:
        cap = self._lv.shape[2]
        lv = new_levels(2 * cap)
        lv[:, :, :cap] = self._lv
        self._lv = lv


def _side(side: int) -> int:
    if side == 1:
        return BID
    if side == 2:
        return ASK
    raise ValueError(f"side must be OrderSide.BUY (1) or SELL (2), got {side}")
