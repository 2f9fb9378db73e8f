"""The L1 book: top of book taken from QUOTE records.

Design contract: the book holds the last QUOTE of its instrument (bid, ask and their sizes, raw);
records of other kinds or instruments are skipped; a quote whose price is ``NULL_I64`` (an empty
side in the source) empties that side. Applying is vectorised: one numpy pass per batch.
"""

from __future__ import annotations

import numpy as np

from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
from domain.schema import NULL_I64

_QUOTE_DTYPE = KIND_DTYPES[Kind.QUOTE]


class L1Book:
    """Top of book for one instrument."""

    def __init__(self, instrument_id: int) -> None:
        self.instrument_id = int(instrument_id)
        self._top = np.full(4, NULL_I64, np.int64)  # bid, ask, bid_size, ask_size

    def _quotes(self, batch: np.ndarray) -> np.ndarray:
        if batch.dtype == RECORD_DTYPE:
            batch = batch.view(_QUOTE_DTYPE)
        elif batch.dtype != _QUOTE_DTYPE:
            raise TypeError(f"batch dtype must be RECORD_DTYPE or the QUOTE dtype, got {batch.dtype}")
        mask = (batch["kind"] == Kind.QUOTE) & (batch["instrument_id"] == self.instrument_id)
        return batch[mask] if not mask.all() else batch

    def apply(self, batch: np.ndarray) -> None:
        """Takes the last QUOTE of this instrument in ``batch`` as the top of book."""
        quotes = self._quotes(batch)
        if len(quotes):
            last = quotes[-1]
            self._top[:] = (last["bid"], last["ask"], last["bid_size"], last["ask_size"])

    def apply_checked(self, batch: np.ndarray) -> np.ndarray:
        """Applies ``batch``; returns the batch indices of quotes with bid >= ask (both set)."""
        if batch.dtype == RECORD_DTYPE:
            batch = batch.view(_QUOTE_DTYPE)
        self.apply(batch)
        mask = (batch["kind"] == Kind.QUOTE) & (batch["instrument_id"] == self.instrument_id)
        bid, ask = batch["bid"], batch["ask"]
        return np.flatnonzero(mask & (bid != NULL_I64) & (ask != NULL_I64) & (bid >= ask))

    def best_bid(self) -> tuple[int, int] | None:
        """Returns (price_raw, size_raw) of the last quote's bid, or None when there is none."""
        return None if self._top[0] == NULL_I64 else (int(self._top[0]), int(self._top[2]))

    def best_ask(self) -> tuple[int, int] | None:
        """Returns (price_raw, size_raw) of the last quote's ask, or None when there is none."""
        return None if self._top[1] == NULL_I64 else (int(self._top[1]), int(self._top[3]))

    def is_crossed(self) -> bool:
        """True when both sides are set and bid >= ask."""
        bid, ask = self.best_bid(), self.best_ask()
        return bid is not None and ask is not None and bid[0] >= ask[0]

    def clear(self) -> None:
        """Forgets the top of book."""
        self._top[:] = NULL_I64

    def snapshot(self) -> dict[str, np.ndarray]:
        """Returns the state as plain numpy arrays."""
        return {"instrument_id": np.array([self.instrument_id], np.int64), "top": self._top.copy()}

    @classmethod
    def restore(cls, snapshot: dict[str, np.ndarray]) -> L1Book:
        """Rebuilds the book that took ``snapshot``."""
        book = cls(int(snapshot["instrument_id"][0]))
        book._top[:] = snapshot["top"]
        return book
