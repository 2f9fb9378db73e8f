"""engines.book — order books folded from market data records.

Design contract:
- :class:`L1Book` (top of book from QUOTE), :class:`L2Book` (by price) and :class:`L3Book` (by
  order id, FIFO queue per level) each fold the records of one instrument; ``apply(batch)`` takes a
  whole batch of records in one call (a numba kernel for L2 / L3) and skips other kinds and
  instruments;
- prices and sizes are raw int64, as in the records; queries return plain ints and numpy arrays;
- the book is consistent only after a LAST record; ``apply_checked`` reports the LAST records
  after which it was crossed or locked, without a Python call per record;
- bad input (unknown order, oversized cancel, ...) is counted in ``issues`` or, with
  ``fail_fast=True``, raises :class:`BookIntegrityError` naming the record; nothing is dropped:
  storage grows by reallocation;
- ``snapshot()`` / ``restore()`` round-trip the full state through plain numpy arrays.
"""

from engines.book.deltas import book_deltas
from engines.book.issues import BookIntegrityError, BookIssue, BookIssues, LoggedIssue
from engines.book.l1 import L1Book
from engines.book.l2 import L2Book
from engines.book.l3 import L3Book, RestingOrder

__all__ = [
    "BookIntegrityError",
    "BookIssue",
    "BookIssues",
    "L1Book",
    "L2Book",
    "L3Book",
    "LoggedIssue",
    "RestingOrder",
    "book_deltas",
]
