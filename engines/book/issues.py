"""Bad book input: issue codes, the per-book report and the fail-fast error.

A bad delta (a cancel of an unknown order, a modify of a missing one, a cancel larger than the
resting size, ...) is a data problem, not a crash: the book counts it, logs the first few with
their stream index and seq, and carries on — unless it was built with ``fail_fast=True``, in which
case the delta is not applied and :class:`BookIntegrityError` is raised.
"""

from __future__ import annotations

from enum import IntEnum

import attrs
import numpy as np

#: How many issues a book logs in detail (counts are kept for all).
ISSUE_LOG_SIZE = 16


class BookIssue(IntEnum):
    """Kinds of bad book input. What the book does with the delta is in each comment."""

    CANCEL_UNKNOWN_ORDER = 1  # L3 cancel of an order id not in the book: ignored
    MODIFY_MISSING_ORDER = 2  # L3 modify of an order id not in the book: ignored
    CANCEL_EXCEEDS_SIZE = 3  # L3 cancel larger than the resting size: the order is removed
    DUPLICATE_ADD = 4  # L3 add of an order id already in the book: ignored
    BAD_SIDE = 5  # add / modify without side BUY or SELL: ignored
    BAD_SIZE = 6  # non-positive add / cancel size, or negative modify / level size: ignored
    BAD_ACTION = 7  # an action code that is not a BookAction: ignored
    WRONG_LEVEL = 8  # an L2 delta in an L3 book or an L3 delta in an L2 book: ignored
    CANCEL_UNKNOWN_LEVEL = 9  # L2 cancel of a price level not in the book: ignored
    FILL_UNKNOWN_ORDER = 10  # L3 fill (DBN F) with side B/A of an order id not in the book: ignored


@attrs.frozen
class LoggedIssue:
    """One logged issue: ``index`` counts BOOK_DELTA records of this instrument applied to the book
    since it was created (from 0); ``seq`` is the record's seq (0 if not yet stamped)."""

    issue: BookIssue
    index: int
    seq: int
    order_id: int
    value: int


@attrs.frozen
class BookIssues:
    """Counts of bad input by kind, and the first :data:`ISSUE_LOG_SIZE` issues in detail."""

    counts: dict[BookIssue, int]
    first: tuple[LoggedIssue, ...]

    @property
    def total(self) -> int:
        """Returns the number of issues of all kinds."""
        return sum(self.counts.values())

    @staticmethod
    def from_arrays(counts: np.ndarray, log: np.ndarray, n_logged: int) -> BookIssues:
        """Builds the report from a book's issue counters and log (see the kernels)."""
        return BookIssues(
            counts={k: int(counts[k]) for k in BookIssue if counts[k]},
            first=tuple(
                LoggedIssue(BookIssue(int(r[0])), int(r[1]), int(r[2]),
                            int(np.int64(r[3]).view(np.uint64)), int(r[4]))
                for r in log[: min(n_logged, ISSUE_LOG_SIZE)]
            ),
        )


class BookIntegrityError(ValueError):
    """A bad delta met a fail-fast book; the delta was not applied."""

    def __init__(self, issue: LoggedIssue, instrument_id: int) -> None:
        super().__init__(
            f"book {instrument_id}: {issue.issue.name} at record index {issue.index} "
            f"(seq {issue.seq}): order_id={issue.order_id}, value={issue.value}"
        )
        self.issue = issue
