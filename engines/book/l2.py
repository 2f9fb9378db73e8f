"""The L2 (market-by-price) book: one aggregated size per price level.

Design contract:
- ADD and MODIFY set the level at ``price`` to ``size`` (size 0 removes the level);
- CANCEL removes the level; CLEAR empties the book; TRADE and FILL never change it;
- only ``level == L2`` deltas apply (an L3 stream goes to :class:`~engines.book.l3.L3Book`, whose
  :meth:`~engines.book.l3.L3Book.to_l2` aggregates it);
- bad deltas are counted in :attr:`issues`, or raise with ``fail_fast=True``; the level array
  doubles when full, never dropping a level.
"""

from __future__ import annotations

import numpy as np

from engines.book._layout import APPLIED, COUNT, ISSUE, KEY, OK, SIZE
from engines.book.base import LevelBook
from engines.book.kernels import book_kernels


class L2Book(LevelBook):
    """An L2 book for one instrument; BOOK_DELTA records of other instruments are skipped."""

    def _run(self, deltas: np.ndarray, crossed_out: np.ndarray) -> int:
        k = book_kernels()  # compiled ahead of time (or numba), loaded when a book first applies
        start, n_crossed = 0, 0
        while True:
            status, start, n_crossed = k.apply_l2(
                deltas, self.instrument_id, start, self._lv, self._n_lv, self._state,
                self._issue_counts, self._issue_log, self.fail_fast, crossed_out, n_crossed)
            if status == OK:
                return n_crossed
            if status == ISSUE:
                self._raise_issue()
            self._grow_levels()

    def clear(self) -> None:
        """Removes every level (the issue counters are kept)."""
        self._n_lv[:] = 0

    def snapshot(self) -> dict[str, np.ndarray]:
        """Returns the whole state as plain numpy arrays."""
        m = self._n_lv
        return {"instrument_id": np.array([self.instrument_id], np.int64),
                "bid_key": self._lv[0, KEY, : m[0]].copy(), "bid_size": self._lv[0, SIZE, : m[0]].copy(),
                "bid_count": self._lv[0, COUNT, : m[0]].copy(),
                "ask_key": self._lv[1, KEY, : m[1]].copy(), "ask_size": self._lv[1, SIZE, : m[1]].copy(),
                "ask_count": self._lv[1, COUNT, : m[1]].copy(),
                "counters": self._state[APPLIED:].copy(), "issue_counts": self._issue_counts.copy(),
                "issue_log": self._issue_log.copy()}

    @classmethod
    def restore(cls, snapshot: dict[str, np.ndarray], *, fail_fast: bool = False) -> L2Book:
        """Rebuilds a book equal to the one that took ``snapshot``."""
        n = max(len(snapshot["bid_key"]), len(snapshot["ask_key"]), 1)
        book = cls(int(snapshot["instrument_id"][0]), level_capacity=max(256, n),
                   fail_fast=fail_fast)
        for s, name in ((0, "bid"), (1, "ask")):
            m = len(snapshot[f"{name}_key"])
            book._lv[s, KEY, :m] = snapshot[f"{name}_key"]
            book._lv[s, SIZE, :m] = snapshot[f"{name}_size"]
            book._lv[s, COUNT, :m] = snapshot[f"{name}_count"]
            book._n_lv[s] = m
        book._state[APPLIED:] = snapshot["counters"]
        book._issue_counts[:] = snapshot["issue_counts"]
        book._issue_log[:] = snapshot["issue_log"]
        return book
