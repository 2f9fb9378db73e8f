"""The resting size of each L3 order, to translate cancels between ringbus and NautilusTrader.

Design contract: ringbus's L3 CANCEL removes ``size`` from an order (Databento's partial
cancels); NautilusTrader's DELETE removes the whole order. :class:`OrderSizes` follows one
instrument's L3 deltas in order (ADD and MODIFY set an order's size, MODIFY to 0 and a full
cancel remove it, CLEAR forgets every order) so that:
- :meth:`OrderSizes.to_nautilus`: a CANCEL of part of an order becomes an UPDATE to what is
  left, and any other CANCEL a DELETE;
- :meth:`OrderSizes.from_nautilus`: a DELETE becomes a CANCEL of the order's whole resting size.
A cancel of an order it has not seen keeps its own size (the book reports that order unknown).
The loop is per delta in Python: about 1 µs per L3 delta (``perf/parquet_interop.py``).
"""

from __future__ import annotations

import numpy as np

from domain.enums import BookAction


class OrderSizes:
    """Resting size of each L3 order id of one instrument, updated delta by delta."""

    def __init__(self) -> None:
        self._size: dict[int, int] = {}

    def _apply(self, action: int, oid: int, size: int) -> int | None:
        """Applies one ringbus delta; returns the order's resting size before it (None when
        the order is unknown)."""
        if action == BookAction.CLEAR:
            self._size.clear()
            return None
        before = self._size.get(oid)
        if action in (BookAction.ADD, BookAction.MODIFY):
            if size > 0:
                self._size[oid] = size
            else:
                self._size.pop(oid, None)
        elif action == BookAction.CANCEL and before is not None:
            if size >= before:
                del self._size[oid]
            else:
                self._size[oid] = before - size
        return before

    def to_nautilus(self, action: np.ndarray, oid: np.ndarray, size: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
        """Returns (is_update, size) for ringbus L3 deltas: True where a partial CANCEL is
        written as an UPDATE, with the size left; other sizes unchanged."""
        update = np.zeros(len(action), bool)
        out = size.copy()
        for i, (a, o, s) in enumerate(zip(action.tolist(), oid.tolist(), size.tolist(),
                                          strict=True)):
            before = self._apply(a, o, s)
            if a == BookAction.CANCEL and before is not None and s < before:
                update[i], out[i] = True, before - s
        return update, out

    def from_nautilus(self, action: np.ndarray, oid: np.ndarray, size: np.ndarray
                      ) -> np.ndarray:
        """Returns the sizes of imported L3 deltas (already in ringbus actions): a CANCEL (a
        NautilusTrader DELETE) cancels the order's whole resting size."""
        out = size.copy()
        for i, (a, o, s) in enumerate(zip(action.tolist(), oid.tolist(), size.tolist(),
                                          strict=True)):
            if a == BookAction.CANCEL:
                before = self._size.get(o)
                s = before if before is not None else s
                out[i] = s
            self._apply(a, o, s)
        return out
