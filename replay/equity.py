"""The equity curve: the portfolio's equity sampled on a regular grid of kernel time.

Design contract:
- :class:`EquitySampler` is a reducer registered in the ``state`` stage BEFORE the cache, so when
  it sees a record the cache still holds the state of the record before: when a record's
  ``ts_init`` reaches the next grid point (epoch-aligned multiples of ``interval_ns``), the
  equity of every grid point passed is the state just before that record — exactly the state at
  the grid point. Time comes from the log only (``ts_init``), never from the wall clock;
- equity = the account's total balance in ``currency`` + for a margin account the unrealized
  PnL of every open position settled in ``currency``, for a cash account the market value of
  every holding (what selling it, or buying a short back, would move: the balance already paid
  for it), marked at the latest quote (longs at the bid, shorts at the ask), else at the latest
  trade price, else the book's best bid / ask, else its open price; when ``currency`` is the
  account's base currency, balances and positions in other currencies are converted at the
  current rate (:mod:`engines.fx_rates`), else they are left out; without a ``currency``
  (several currencies, no base) nothing is sampled;
- it adds no record to the journal (the curve is derived state: a rebuild over the journal
  registering the same sampler gives the same curve), and it runs the batch path
  (``apply_batch``) for market data, so it never forces one-at-a-time publishing.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from domain.accounts import CashAccount
from domain.codec import as_kind
from domain.currencies import Currency
from domain.kinds import Kind
from engines.component import Reducer
from engines.context import KernelContext
from engines.fx_rates import convert_raw, find_rate
from engines.routing import sole, take_rows

_MARKET = (int(Kind.QUOTE), int(Kind.TRADE), int(Kind.BAR), int(Kind.BOOK_DELTA))
_QUOTE, _TRADE = int(Kind.QUOTE), int(Kind.TRADE)


class EquitySampler(Reducer):
    """Samples equity every ``interval_ns`` of ``ts_init``; see the module contract."""

    handles = (*_MARKET, int(Kind.ORDER_FILLED), int(Kind.ACCOUNT_STATE))
    batch_kinds = _MARKET

    def __init__(self, account: str, currency: str | None, interval_ns: int,
                 component_id: str = "equity") -> None:
        super().__init__(component_id)
        if interval_ns < 1_000_000:
            raise ValueError(f"equity_interval_ns must be >= 1 ms (1000000), got {interval_ns}")
        self.account = account
        self.currency = Currency.from_code(currency) if currency is not None else None
        self.interval_ns = int(interval_ns)
        self.next_ns: int | None = None
        self.ts_ns: list[int] = []
        self.equity_raw: list[int] = []
        #: instrument id -> (bid_raw, ask_raw) of the latest quote or trade seen.
        self.marks: dict[int, tuple[int, int]] = {}
        self._ctx: KernelContext | None = None

    def on_register(self, kernel: Any) -> None:
        self._ctx = kernel.ctx

    # --- folding ---------------------------------------------------------------------------------
    def handlers(self) -> dict[int, Any]:
        """``apply`` for every kind it handles, a QUOTE alone through ``_apply_quote`` (the one
        record of every subscribed quote: no kind test)."""
        return {**dict.fromkeys(self.handles, self.apply), _QUOTE: self._apply_quote}

    def _apply_quote(self, rec: Any, ctx: KernelContext) -> None:
        nxt = self.next_ns
        if nxt is None or rec.ts_init >= nxt:
            self._cross(rec.ts_init, ctx)
        self.marks[rec.instrument_id] = (rec.bid, rec.ask)

    def last_stands(self, kind: int, last: Any) -> bool:
        """A QUOTE run with no grid point in it (its times are sorted, so the last is before
        the next point): each quote only replaces the instrument's mark."""
        nxt = self.next_ns
        return kind == _QUOTE and nxt is not None and last.ts_init < nxt

    def apply(self, rec: Any, ctx: KernelContext) -> None:
        ts = rec.ts_init
        nxt = self.next_ns
        if nxt is None or ts >= nxt:
            self._cross(ts, ctx)
        kind = rec.kind
        if kind == _QUOTE:
            self.marks[rec.instrument_id] = (rec.bid, rec.ask)
        elif kind == _TRADE:
            self.marks[rec.instrument_id] = (rec.price, rec.price)

    def apply_batch(self, records: np.ndarray, ctx: KernelContext) -> None:
        ts = records["ts_init"]
        last_ts = int(ts[-1])
        if self.next_ns is not None and (last_ts < self.next_ns or not self._moves(ctx)):
            # No grid point in the run, or nothing market data can move (no open position, no
            # other currency converted): every grid point of the run gets the same value.
            if last_ts >= self.next_ns:
                self._cross(last_ts, ctx)
            self._marks_from(records)
            return
        start = 0
        while start < len(records):
            nxt = self.next_ns
            if nxt is None:
                cut = start
            else:
                cut = start + int(np.searchsorted(ts[start:], nxt, side="left"))
            self._marks_from(records[start:cut])
            if cut >= len(records):
                return
            self._cross(int(ts[cut]), ctx)
            start = cut

    def _moves(self, ctx: KernelContext) -> bool:
        """True when market data can move the equity: a position is open, or the account holds
        a currency other than the report currency and converts it."""
        cache = ctx.cache
        if cache is None:
            return False
        if cache.positions(open_only=True):
            return True
        if self.currency is None:
            return False
        aid = ctx.strings.id_of(self.account)
        account = cache.account(aid) if aid is not None else None
        code = self.currency.packed
        return account is not None and account.base_code == code and any(
            raw for c, raw in account._total.items() if c != code)

    def _marks_from(self, run: np.ndarray) -> None:
        if not len(run):
            return
        kinds = run["kind"]
        only = sole(kinds)
        for kind, bid_field, ask_field in ((_TRADE, "price", "price"), (_QUOTE, "bid", "ask")):
            if only is not None:  # the usual run: one kind, read in place
                if only != kind:
                    continue
                typed = as_kind(run, kind)
            else:
                idx = np.flatnonzero(kinds == kind)
                if not idx.size:
                    continue
                typed = as_kind(take_rows(run, idx), kind)
            iids = typed["instrument_id"]
            if sole(iids) is not None:
                last = typed[-1]
                self.marks[int(last["instrument_id"])] = (int(last[bid_field]), int(last[ask_field]))
                continue
            for j in range(len(typed)):  # several instruments in one run: keep log order
                self.marks[int(iids[j])] = (int(typed[bid_field][j]), int(typed[ask_field][j]))

    def _cross(self, ts: int, ctx: KernelContext) -> None:
        """Samples every grid point in (last sampled, ts] with the state before this record."""
        step = self.interval_ns
        if self.next_ns is None:
            self.next_ns = (ts // step + 1) * step
            return
        equity = self.equity_now(ctx)
        first = self.next_ns
        last = (ts // step) * step
        self.ts_ns.extend(range(first, last + 1, step))
        self.equity_raw.extend([equity] * ((last - first) // step + 1))
        self.next_ns = last + step

    # --- reading ---------------------------------------------------------------------------------
    def equity_now(self, ctx: KernelContext | None = None) -> int:
        """Returns the equity now, as raw units of ``currency`` (0 before the account exists,
        or without a report currency)."""
        ctx = ctx or self._ctx
        cache = ctx.cache if ctx is not None else None
        if cache is None or self.currency is None:
            return 0
        aid = ctx.strings.id_of(self.account)
        account = cache.account(aid) if aid is not None else None
        code = self.currency.packed
        convert = account is not None and account.base_code == code
        total = 0
        if account is not None:
            for c, raw in sorted(account._total.items()):
                total += raw if c == code else self._converted(cache, raw, c, code, convert)
        holdings = isinstance(account, CashAccount)
        for pos in cache.positions(open_only=True):
            mark = self._mark(pos, cache)
            if mark is None:
                # no price seen: valued at cost (unrealized 0)
                value = -pos.open_cost_raw if holdings else 0
            elif holdings:
                value = pos.unrealized_pnl_raw(mark) - pos.open_cost_raw
            else:
                value = pos.unrealized_pnl_raw(mark)
            settle = pos.instrument.settlement_code
            total += value if settle == code else self._converted(cache, value, settle, code,
                                                                  convert)
        return total

    def _converted(self, cache: Any, raw: int, from_code: int, to_code: int,
                   convert: bool) -> int:
        """``raw`` converted at the current rate (from the marks this sampler keeps, which
        are ahead of the cache inside a batch) when the account reports in a base currency;
        0 otherwise, or without a rate (amounts in other currencies are left out)."""
        if not convert or not raw:
            return 0
        fx = find_rate(cache, from_code, to_code, self.marks.get)
        return 0 if fx is None else convert_raw(raw, from_code, to_code, fx.rate)

    def _mark(self, pos: Any, cache: Any) -> int | None:
        mark = self.marks.get(pos.instrument_id)
        if mark is None:
            book = cache.book(pos.instrument_id)
            if book is None:
                return None
            bid, ask = book.best_bid(), book.best_ask()
            if bid is None or ask is None:
                return None
            mark = (bid[0], ask[0])
        return mark[0] if pos.signed_raw > 0 else mark[1]

    def curve(self, end_ns: int | None = None, start: tuple[int, int] | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
        """Returns (ts_ns, equity_raw) int64 arrays: ``start`` (the run's start time and
        starting equity) when given, the grid samples, and the equity now at ``end_ns`` when
        given (the end of the run: it replaces a grid sample at that same time, which holds the
        state before the records at ``end_ns``, so the last point includes every fill and
        commission of the run). The two ends are not stored, so not part of the state."""
        ts, eq = list(self.ts_ns), list(self.equity_raw)
        if start is not None and (not ts or start[0] < ts[0]):
            ts.insert(0, start[0])
            eq.insert(0, start[1])
        if end_ns is not None:
            if ts and end_ns <= ts[-1]:
                del ts[-1], eq[-1]
            ts.append(end_ns)
            eq.append(self.equity_now())
        return np.asarray(ts, dtype=np.int64), np.asarray(eq, dtype=np.int64)

    def digest(self, h: Any) -> None:
        n = len(self.ts_ns)
        last = (self.ts_ns[-1], self.equity_raw[-1]) if n else (0, 0)
        h.update(struct.pack("<qqqq", n, last[0], last[1], self.next_ns or 0))

    def snapshot(self) -> dict[str, Any]:
        return {"ts_ns": list(self.ts_ns), "equity_raw": list(self.equity_raw),
                "next_ns": self.next_ns, "marks": sorted([k, *v] for k, v in self.marks.items())}

    def restore(self, doc: dict[str, Any]) -> None:
        self.ts_ns, self.equity_raw = list(doc["ts_ns"]), list(doc["equity_raw"])
        self.next_ns = doc["next_ns"]
        self.marks = {m[0]: (m[1], m[2]) for m in doc["marks"]}
