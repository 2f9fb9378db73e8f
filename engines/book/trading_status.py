"""Each instrument's trading status, folded from the record log: stated or inferred.

Design contract:
- a venue's ``INSTRUMENT_STATUS`` record states the status (``MarketStatus``); once an
  instrument has one, only such records change it (``SSR_CHANGE``, ``NONE`` and a code outside
  ``MarketStatus`` leave it as is);
- without a stated status it is inferred from an L3 (market-by-order) book, at each LAST record:
  a book left crossed by an event that printed no trade is in a pre-open / auction
  (``PRE_OPEN``: orders rest without matching); an event that printed a trade (a BOOK_DELTA
  TRADE or FILL, or a TRADE record) is continuous trading (``TRADING``); other events leave the
  status as it was (``NONE`` until the first such evidence);
- only ``TRADING`` and ``NONE`` (nothing known: continuous trading is assumed) are continuous:
  :meth:`TradingStatus.continuous` is what a crossed-book check asks;
- a pure fold of the records in log order: no clock, no randomness.
"""

from __future__ import annotations

from typing import Any

import attrs

from domain.enums import BookAction, BookLevel, MarketStatus, RecordFlag
from domain.kinds import Kind

_STATUS = int(Kind.INSTRUMENT_STATUS)
_DELTA = int(Kind.BOOK_DELTA)
_TRADE = int(Kind.TRADE)
_L3 = int(BookLevel.L3)
_LAST = int(RecordFlag.LAST)
_PRINTS = (int(BookAction.TRADE), int(BookAction.FILL))
_KEEP = (int(MarketStatus.NONE), int(MarketStatus.SSR_CHANGE))
_CODES = frozenset(int(s) for s in MarketStatus)
_CONTINUOUS = (MarketStatus.NONE, MarketStatus.TRADING)


@attrs.define
class InstrumentStatus:
    """One instrument's status, the seq of the record that set it and whether it was inferred."""

    status: MarketStatus = MarketStatus.NONE
    seq: int = 0
    inferred: bool = False
    stated: bool = False  # a venue INSTRUMENT_STATUS record has been seen
    printed: bool = False  # the current event printed a trade

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status.name, "seq": self.seq, "inferred": self.inferred}


class TradingStatus:
    """Folds records (see the module contract); ``fold`` after the book applied the record."""

    def __init__(self, infer: bool = True) -> None:
        self.infer = infer
        self._by_iid: dict[int, InstrumentStatus] = {}

    def get(self, instrument_id: int) -> InstrumentStatus:
        """Returns the instrument's status (``NONE``, not inferred, when nothing is known)."""
        return self._by_iid.get(instrument_id) or InstrumentStatus()

    def continuous(self, instrument_id: int) -> bool:
        """True when the instrument is (or is assumed to be) in continuous trading."""
        return self.get(instrument_id).status in _CONTINUOUS

    def fold(self, rec: Any, book: Any = None) -> None:
        """Applies one decoded record; ``book`` is its instrument's book after the record."""
        kind = rec.kind
        if kind == _STATUS:
            st = self._entry(rec.instrument_id)
            st.stated = True
            if rec.action not in _KEEP and rec.action in _CODES:
                st.status, st.seq, st.inferred = MarketStatus(rec.action), rec.seq, False
            return
        if not self.infer or kind not in (_DELTA, _TRADE):
            return
        st = self._entry(rec.instrument_id)
        if st.stated:
            return
        if kind == _TRADE or rec.action in _PRINTS:
            st.printed = True
        if kind != _DELTA or rec.level != _L3 or not rec.flags & _LAST:
            return
        if st.printed:
            self._set(st, MarketStatus.TRADING, rec.seq)
        elif book is not None and book.is_crossed():
            self._set(st, MarketStatus.PRE_OPEN, rec.seq)
        st.printed = False

    def _entry(self, instrument_id: int) -> InstrumentStatus:
        st = self._by_iid.get(instrument_id)
        if st is None:
            st = self._by_iid[instrument_id] = InstrumentStatus()
        return st

    @staticmethod
    def _set(st: InstrumentStatus, status: MarketStatus, seq: int) -> None:
        if st.status != status:
            st.status, st.seq, st.inferred = status, seq, True
