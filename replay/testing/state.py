"""The state the invariants see: the cache and books folded from the log, plus shadow models.

Design contract:
- :class:`CheckState` folds records one at a time (``fold``) into a standalone cache (the same
  reducer the kernel runs: instruments, strings, market data, books, orders, positions,
  accounts) and into independent bookkeeping: an L3 model per instrument
  (:class:`~replay.testing.shadow.ShadowL3`), the signed fill sum and settlement cash flow per
  position, a balance reconciler per account, and each instrument's trading status
  (:class:`~engines.book.trading_status.TradingStatus`: stated by INSTRUMENT_STATUS records,
  else inferred from L3 books);
- a record the cache refuses (an illegal order transition, an overfill, an unknown order or
  instrument) is not applied; the exception is kept in ``fold_error`` for the invariants (it is
  a finding, not a crash of the checker);
- ``prev_seq`` / ``prev_ts_init`` are the previous record's, so record-order invariants read
  them while the current record is being checked;
- pure fold: no clock, no randomness, dicts iterated in insertion (log) order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from domain.accounts import CashAccount
from domain.enums import BookLevel, RecordFlag
from domain.kinds import Kind
from domain.positions import Position
from engines.book.trading_status import TradingStatus
from engines.cache import Cache
from replay.testing.shadow import ShadowL3

_DAY_NS = 86_400 * 10**9
_FILL = int(Kind.ORDER_FILLED)
_ACCOUNT = int(Kind.ACCOUNT_STATE)
_DELTA = int(Kind.BOOK_DELTA)
_L3 = int(BookLevel.L3)
_INPUT = int(RecordFlag.INPUT)
_STATUS_KINDS = frozenset({_DELTA, int(Kind.TRADE), int(Kind.INSTRUMENT_STATUS)})


def parse_window(text: str) -> tuple[int, int]:
    """Parses ``"HH:MM-HH:MM"`` (UTC, end exclusive) into ns since midnight."""
    try:
        start, end = text.split("-")
        out = []
        for part in (start, end):
            t = datetime.strptime(part.strip(), "%H:%M:%S" if part.count(":") == 2 else "%H:%M")
            out.append(((t.hour * 60 + t.minute) * 60 + t.second) * 10**9)
    except ValueError:
        raise ValueError(f"crossed window must look like '22:39-23:00' (UTC), got {text!r}") from None
    return out[0], out[1]


@attrs.frozen
class CheckConfig:
    """Settings of the invariants.

    ``crossed_windows_utc``: times of day (UTC, ``"HH:MM-HH:MM"``) when a book may be crossed
    after LAST (auctions, pre-open; compared with the record's ``ts_event``, the venue's time);
    ``crossed_exempt_flags``: records carrying any of these flag bits are exempt too (a venue's
    auction flag); ``depth``: levels compared by the L3 -> L2 check at each LAST record;
    ``infer_trading_status``: without INSTRUMENT_STATUS records, infer an L3 book's pre-open /
    auction from a crossed book no trade printed on (see :mod:`engines.book.trading_status`);
    ``trust_journal_code``: the ``reexecution`` check may import the strategy code the journal's
    manifest names (off: only built-in strategies; a journal is untrusted input).
    """

    crossed_windows_utc: tuple[str, ...] = ()
    crossed_exempt_flags: int = 0
    depth: int = 5
    infer_trading_status: bool = True
    trust_journal_code: bool = False
    windows_ns: tuple[tuple[int, int], ...] = attrs.field(init=False)

    @windows_ns.default
    def _windows(self) -> tuple[tuple[int, int], ...]:
        return tuple(parse_window(w) for w in self.crossed_windows_utc)

    def crossing_allowed(self, ts_event: int, flags: int) -> bool:
        """Returns True when a crossed book at this record is exempt (auction / window)."""
        if flags & self.crossed_exempt_flags:
            return True
        tod = ts_event % _DAY_NS
        for start, end in self.windows_ns:
            if (start <= tod < end) if start <= end else (tod >= start or tod < end):
                return True
        return False


class AccountReconciler:
    """Expected balance per currency of one account, folded fill by fill (the rule of
    :func:`domain.invariants.balance_reconciles`: starting + lifetime realized gross PnL -
    commissions, plus the open cost of positions for a cash account). An ACCOUNT_STATE from
    outside the kernel (INPUT: the starting balance, a venue report) rebases it."""

    def __init__(self, cash: bool) -> None:
        self.cash = cash
        self.base: dict[int, int] = {}  # starting balances - commissions
        self.positions: dict[tuple[int, int, int], Position] = {}
        #: Expected balances right after each fill, by the fill's seq: the kernel's own
        #: ACCOUNT_STATE records (cause = that fill) must state them.
        self.at_fill: dict[int, dict[int, int]] = {}

    def fill(self, inst: Any, rec: Any, position_id: int) -> None:
        key = (rec.instrument_id, rec.strategy_id, position_id)
        pos = self.positions.get(key)
        if pos is None:
            pos = self.positions[key] = Position(inst, position_id, 0, rec.strategy_id)
        pos.apply_fill(rec.side, rec.last_qty, rec.last_px, rec.commission,
                       rec.commission_currency, rec.ts_event)
        ccy = rec.commission_currency or inst.settlement_code
        self.base[ccy] = self.base.get(ccy, 0) - rec.commission
        self.at_fill[rec.seq] = self.expected()

    def expected(self) -> dict[int, int]:
        """Returns the expected total balance per packed currency code."""
        out = dict(self.base)
        for pos in self.positions.values():
            code = pos.instrument.settlement_code
            delta = pos.lifetime_realized_raw + (pos.open_cost_raw if self.cash else 0)
            out[code] = out.get(code, 0) + delta
        return out


class CheckState:
    """Everything the invariants may read; see the module contract."""

    def __init__(self, config: CheckConfig | None = None, first_seq: int = 1) -> None:
        self.config = config or CheckConfig()
        self.cache = Cache()
        self._handlers = self.cache.handlers()
        self.prev_seq = first_seq - 1
        self.prev_ts_init: int | None = None
        self.n_records = 0
        self.at_end = False
        self.fold_error: BaseException | None = None
        self.shadow_l3: dict[int, ShadowL3] = {}
        self.l3_issue: str | None = None
        self.fill_signed: dict[int, int] = {}  # position id -> signed sum of fills (raw)
        self.fill_cash: dict[int, int] = {}  # position id -> sum of settlement cash flows (raw)
        #: The position's signed qty right after each fill, by the fill's seq: the POSITION_*
        #: events it causes (cause = that fill) state it, even when a later fill of the same
        #: batch was folded before them.
        self.signed_at_fill: dict[int, int] = {}
        self.reconcilers: dict[int, AccountReconciler] = {}
        self.last_record: Any = None
        self.status = TradingStatus(infer=self.config.infer_trading_status)

    # --- folding ---------------------------------------------------------------------------------
    def fold(self, rec: Any) -> None:
        """Applies one decoded record (a raw namedtuple) to the state."""
        self.fold_error = None
        self.l3_issue = None
        kind = rec.kind
        if kind == _DELTA and rec.level == _L3:
            shadow = self.shadow_l3.get(rec.instrument_id)
            if shadow is None:
                shadow = self.shadow_l3[rec.instrument_id] = ShadowL3()
            self.l3_issue = shadow.apply(rec.action, rec.side, rec.price, rec.size, rec.order_id)
        handler = self._handlers.get(kind)
        if handler is not None:
            try:
                handler(rec, None)
            except Exception as exc:  # the cache refused the record: a finding, kept for checks
                self.fold_error = exc
                return
        if kind in _STATUS_KINDS:
            self.status.fold(rec, self.cache.book(rec.instrument_id) if kind == _DELTA else None)
        if kind == _FILL:
            self._fill(rec)
        elif kind == _ACCOUNT and rec.account_id not in self.reconcilers:
            account = self.cache.account(rec.account_id)
            self.reconcilers[rec.account_id] = AccountReconciler(isinstance(account, CashAccount))
        if kind == _ACCOUNT and rec.flags & _INPUT:
            # A report from outside (starting balance, venue) sets the balance: rebase on it.
            recon = self.reconcilers[rec.account_id]
            expected = recon.expected().get(rec.currency, 0)
            recon.base[rec.currency] = recon.base.get(rec.currency, 0) + \
                rec.balance_total - expected

    def _fill(self, rec: Any) -> None:
        order = self.cache.order(rec.client_order_id)
        inst = self.cache.instrument(rec.instrument_id)
        pid = order.position_id
        signed = rec.last_qty if rec.side == 1 else -rec.last_qty
        self.fill_signed[pid] = self.fill_signed.get(pid, 0) + signed
        flow = inst.cash_flow_raw(rec.side, rec.last_qty, rec.last_px)
        self.fill_cash[pid] = self.fill_cash.get(pid, 0) + flow
        position = self.cache.position(pid)
        self.signed_at_fill[rec.seq] = position.signed_raw if position is not None else 0
        recon = self.reconcilers.get(rec.account_id)
        if recon is not None:
            recon.fill(inst, rec, pid)

    def advance(self, rec: Any) -> None:
        """Moves the record-order bookkeeping past ``rec`` (after its checks ran)."""
        self.prev_seq = rec.seq
        self.prev_ts_init = rec.ts_init
        self.n_records += 1
        self.last_record = rec

    # --- excerpts --------------------------------------------------------------------------------
    def excerpt(self, rec: Any) -> dict[str, Any]:
        """Returns the part of the state ``rec`` touches: its order, position, book top, account."""
        out: dict[str, Any] = {}
        cache = self.cache
        coid = getattr(rec, "client_order_id", None)
        if coid:
            order = cache.order(coid)
            if order is not None:
                out["order"] = {"client_order_id": coid, "status": order.status.name,
                                "side": order.side.name, "quantity_raw": order.quantity_raw,
                                "filled_raw": order.filled_raw, "price_raw": order.price_raw,
                                "position_id": order.position_id}
                pos = cache.position(order.position_id) if order.position_id else None
                if pos is not None:
                    out["position"] = _position(pos, self)
        pid = getattr(rec, "position_id", 0)
        if pid and "position" not in out and cache.position(pid) is not None:
            out["position"] = _position(cache.position(pid), self)
        iid = getattr(rec, "instrument_id", None)
        book = cache.book(iid) if iid is not None else None
        if book is not None:
            out["book"] = {"instrument_id": iid, "best_bid": book.best_bid(),
                           "best_ask": book.best_ask(),
                           "trading_status": self.status.get(iid).to_dict()}
            if rec.kind == _DELTA:
                out["delta"] = {"action": rec.action, "side": rec.side, "price": rec.price,
                                "size": rec.size, "order_id": rec.order_id}
        aid = getattr(rec, "account_id", 0)
        account = cache.account(aid) if aid else None
        if account is not None:
            out["account"] = {str(f["currency"]): f["balance_total"] for f in account.to_fields()}
        return out


def _position(pos: Position, state: CheckState) -> dict[str, Any]:
    return {"position_id": pos.position_id, "signed_raw": pos.signed_raw,
            "fills_signed_raw": state.fill_signed.get(pos.position_id),
            "realized_pnl_raw": pos.realized_pnl_raw}
