"""The invariant library: each invariant of DESIGN.md as a named function ``(state, record)``.

Design contract:
- an invariant is a function ``(state: CheckState, record) -> None | str``: None when it holds
  after ``record`` was folded into ``state``, else a message naming the seq, the field and the
  values; ``record`` is the raw namedtuple of the record (fields named as in domain/kinds.py);
- :class:`Invariant` says when the checker calls it: after records of its ``kinds`` (every
  record when None), only at records flagged LAST (``at_last``: the costly ones, which need a
  consistent book), and once more after the last record (``at_end``, with ``state.at_end``);
- registry: :func:`resolve` turns ``builtin:<name>`` (or a bare builtin name) into the
  built-in, and ``module:function`` into the user's function, imported on the caller's request
  (a journal never names code); a plain function may carry ``kinds`` / ``at_last`` /
  ``at_end`` attributes, else it runs after every record;
- whole-journal invariants (snapshot + tail, re-execution) are functions of a journal path, in
  :mod:`replay.testing.journal_checks`, named ``builtin:snapshot_tail`` and
  ``builtin:reexecution``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import attrs

from domain.enums import BookLevel, MarketStatus, RecordFlag
from domain.invariants import order_fill_within_quantity, order_status_reachable
from domain.kinds import Kind
from domain.order_fsm import ORDER_EVENT_KINDS, InvalidTransition
from domain.orders import OverfillError
from replay.testing.state import CheckState

InvariantFn = Callable[[CheckState, Any], "str | None"]
_LAST = int(RecordFlag.LAST)
_ORDER_KINDS = frozenset({int(Kind.ORDER_INITIALIZED), *ORDER_EVENT_KINDS})
_POSITION_KINDS = frozenset({int(Kind.POSITION_OPENED), int(Kind.POSITION_CHANGED),
                             int(Kind.POSITION_CLOSED)})
_DELTA = frozenset({int(Kind.BOOK_DELTA)})
_L3 = int(BookLevel.L3)


class InvariantSpecError(ValueError):
    """An ``--invariant`` spec names no known built-in or no importable function."""


@attrs.frozen
class Invariant:
    """A named invariant and when the checker calls it (see the module contract)."""

    name: str
    fn: InvariantFn
    kinds: frozenset[int] | None = None
    at_last: bool = False
    at_end: bool = False

    @property
    def doc(self) -> str:
        return (self.fn.__doc__ or "").strip()


# --- record order ----------------------------------------------------------------------------------
def seq_contiguous(state: CheckState, rec: Any) -> str | None:
    """``seq`` is contiguous: each record's seq is the previous one's + 1 (from 1)."""
    if rec.seq != state.prev_seq + 1:
        return f"seq {rec.seq}: field seq is {rec.seq}, expected {state.prev_seq + 1}"
    return None


def ts_init_monotonic(state: CheckState, rec: Any) -> str | None:
    """``ts_init`` never decreases along the log."""
    prev = state.prev_ts_init
    if prev is not None and rec.ts_init < prev:
        return f"seq {rec.seq}: field ts_init {rec.ts_init} is below the previous record's {prev}"
    return None


# --- orders ----------------------------------------------------------------------------------------
def order_quantity_bounds(state: CheckState, rec: Any) -> str | None:
    """An order never fills more than its quantity (``0 <= filled_qty <= quantity``) and an
    update never takes its quantity below what has filled."""
    if isinstance(state.fold_error, OverfillError):
        return f"seq {rec.seq}: {state.fold_error}"
    order = state.cache.order(rec.client_order_id)
    found = order_fill_within_quantity(order) if order is not None else None
    return f"seq {rec.seq}: {found}" if found else None


def order_state_machine(state: CheckState, rec: Any) -> str | None:
    """An order's status only moves along the state machine table (domain.order_fsm); its
    events name a known order; its status agrees with its fills."""
    err = state.fold_error
    if isinstance(err, InvalidTransition):
        return f"seq {rec.seq}: {err}"
    if err is not None and not isinstance(err, OverfillError):
        return f"seq {rec.seq}: {type(err).__name__}: {err}"
    order = state.cache.order(rec.client_order_id)
    found = order_status_reachable(order) if order is not None else None
    return f"seq {rec.seq}: {found}" if found else None


# --- positions and accounts -----------------------------------------------------------------------
def position_matches_fills(state: CheckState, rec: Any) -> str | None:
    """A netting position's signed quantity equals the signed sum of its fills; a POSITION_*
    event states the quantity after the fill that caused it (0 for POSITION_CLOSED); money is conserved (the fills' settlement cash
    flows equal lifetime realized gross PnL plus open cost)."""
    if state.fold_error is not None:
        return None
    if rec.kind == Kind.ORDER_FILLED:
        pid = state.cache.order(rec.client_order_id).position_id
    else:
        pid = rec.position_id
    pos = state.cache.position(pid)
    if pos is None:
        return f"seq {rec.seq}: field position_id {pid} names no position in the state"
    expected = state.fill_signed.get(pid, 0)
    if pos.signed_raw != expected:
        return (f"seq {rec.seq}: position {pid} signed qty raw {pos.signed_raw} != signed sum "
                f"of its fills raw {expected}")
    if rec.kind in _POSITION_KINDS:
        # A flip is POSITION_CLOSED (flat) then POSITION_OPENED, both after the one fill.
        want = 0 if rec.kind == Kind.POSITION_CLOSED else state.signed_at_fill.get(rec.cause)
        if want is not None and rec.signed_qty != want:
            return (f"seq {rec.seq}: {Kind(rec.kind).name} field signed_qty {rec.signed_qty} "
                    f"!= {want}, position {pid}'s signed qty after the fill at seq {rec.cause}")
    flows = state.fill_cash.get(pid, 0)
    if flows != pos.lifetime_realized_raw + pos.open_cost_raw:
        return (f"seq {rec.seq}: position {pid} cash flows raw {flows} != lifetime realized "
                f"raw {pos.lifetime_realized_raw} + open cost raw {pos.open_cost_raw}")
    return None


def balance_reconciles(state: CheckState, rec: Any) -> str | None:
    """Realized PnL and commissions reconcile with each account balance: total == starting +
    lifetime realized gross PnL - commissions (+ open cost of positions for a cash account),
    both in the state and in the kernel's ACCOUNT_STATE records (as of the fill that caused
    them); an INPUT ACCOUNT_STATE (a starting balance, a venue report) sets the balance."""
    recon = state.reconcilers.get(rec.account_id)
    account = state.cache.account(rec.account_id)
    if recon is None or account is None or state.fold_error is not None:
        return None
    if rec.kind == Kind.ACCOUNT_STATE and not rec.flags & RecordFlag.INPUT:
        at_fill = recon.at_fill.get(rec.cause)
        want = None if at_fill is None else at_fill.get(rec.currency)
        if want is not None and rec.balance_total != want:
            return (f"seq {rec.seq}: ACCOUNT_STATE of account {rec.account_id} field "
                    f"balance_total raw {rec.balance_total} != starting + realized - commissions"
                    f" as of the fill at seq {rec.cause} = raw {want}")
    for code, expected in recon.expected().items():
        actual = account.total_raw(code)
        if actual != expected:
            from domain.values import unpack_currency

            return (f"seq {rec.seq}: account {rec.account_id} {unpack_currency(code)} field "
                    f"balance_total raw {actual} != starting + realized - commissions"
                    f"{' + open cost' if recon.cash else ''} = raw {expected}")
    return None


# --- market data and books ------------------------------------------------------------------------
def quote_not_crossed(state: CheckState, rec: Any) -> str | None:
    """A QUOTE's bid is not above its ask (a locked quote, bid == ask, is allowed)."""
    if rec.bid > rec.ask:
        return f"seq {rec.seq}: QUOTE field bid {rec.bid} > ask {rec.ask} (raw)"
    return None


def book_not_crossed(state: CheckState, rec: Any) -> str | None:
    """In continuous trading a book is neither crossed nor locked after a LAST record. Exempt:
    any other trading status (stated by INSTRUMENT_STATUS, or an L3 pre-open inferred from a
    crossed book no trade printed on) and the configured auction windows / flags
    (``CheckConfig``). Evaluated at LAST records only."""
    book = state.cache.book(rec.instrument_id)
    if book is None or not book.is_crossed():
        return None
    if not state.status.continuous(rec.instrument_id):
        return None
    if state.config.crossing_allowed(rec.ts_event, rec.flags):
        return None
    st = state.status.get(rec.instrument_id)
    why = "no trading status known" if st.status == MarketStatus.NONE else \
        f"trading status TRADING ({'inferred' if st.inferred else 'stated'} at seq {st.seq})"
    return (f"seq {rec.seq}: book {rec.instrument_id} crossed after LAST in continuous trading "
            f"({why}): best bid {book.best_bid()} >= best ask {book.best_ask()} "
            "(price_raw, size_raw)")


def l3_known_order_ids(state: CheckState, rec: Any) -> str | None:
    """In an L3 stream every order id is added before it is modified or canceled, never added
    twice, and a cancel never removes more than the order rests."""
    if rec.level == _L3 and state.l3_issue is not None:
        return f"seq {rec.seq}: L3 book {rec.instrument_id}: {state.l3_issue}"
    return None


def l3_to_l2_aggregation(state: CheckState, rec: Any) -> str | None:
    """The L3 book's price levels equal the orders aggregated by (side, price) in an
    independent model: the best ``config.depth`` levels at each LAST record, every level (and
    ``L3Book.to_l2()``) at the end of the stream."""
    iids = sorted(state.shadow_l3) if state.at_end else (
        [rec.instrument_id] if rec.kind == Kind.BOOK_DELTA and rec.level == _L3 else [])
    for iid in iids:
        book = state.cache.book(iid)
        shadow = state.shadow_l3[iid]
        if book is None:
            continue
        n = max(len(shadow.bids), len(shadow.asks), 1) if state.at_end else state.config.depth
        books = [book, book.to_l2()] if state.at_end else [book]
        want = shadow.top(n)
        for b in books:
            bids, asks = b.depth(n)
            got = (bids.tolist(), asks.tolist())
            if got != want:
                side = "bids" if got[0] != want[0] else "asks"
                i = 0 if side == "bids" else 1
                return (f"seq {rec.seq}: {type(b).__name__} {iid} {side} {got[i][:5]} != "
                        f"aggregated orders {want[i][:5]} ([price_raw, size_raw], best first)")
    return None


BUILTINS: dict[str, Invariant] = {inv.name: inv for inv in (
    Invariant("seq_contiguous", seq_contiguous),
    Invariant("ts_init_monotonic", ts_init_monotonic),
    Invariant("order_quantity_bounds", order_quantity_bounds, _ORDER_KINDS),
    Invariant("order_state_machine", order_state_machine, _ORDER_KINDS),
    Invariant("position_matches_fills", position_matches_fills,
              frozenset({int(Kind.ORDER_FILLED), *_POSITION_KINDS})),
    Invariant("balance_reconciles", balance_reconciles,
              frozenset({int(Kind.ORDER_FILLED), int(Kind.ACCOUNT_STATE)})),
    Invariant("quote_not_crossed", quote_not_crossed, frozenset({int(Kind.QUOTE)})),
    Invariant("book_not_crossed", book_not_crossed, _DELTA, at_last=True),
    Invariant("l3_known_order_ids", l3_known_order_ids, _DELTA),
    Invariant("l3_to_l2_aggregation", l3_to_l2_aggregation, _DELTA, at_last=True, at_end=True),
)}

#: Invariants over a whole journal (functions of its path); see journal_checks. They compare
#: whole replays, so there is no per-record first failure: they are not bisectable.
JOURNAL_BUILTINS = ("snapshot_tail", "reexecution")


def strip_seq(message: str, seq: int) -> str:
    """Returns ``message`` without its leading ``"seq N: "`` (the reporter names the seq)."""
    return message.removeprefix(f"seq {seq}: ")


def check_bisectable(spec: str) -> None:
    """Raises InvariantSpecError when ``spec`` names a whole-journal invariant."""
    name = spec.removeprefix("builtin:")
    if name in JOURNAL_BUILTINS:
        raise InvariantSpecError(
            f"invariant {spec!r} compares whole replays of the journal, so it has no first "
            f"failing record to bisect; run `ringbus check JOURNAL --invariant builtin:{name}`")


def resolve(spec: str | Invariant | InvariantFn) -> Invariant:
    """Returns the invariant named by ``spec``: ``builtin:<name>``, a bare built-in name,
    ``module:function`` (imported), an :class:`Invariant` or a function."""
    if isinstance(spec, Invariant):
        return spec
    if callable(spec):
        return _wrap(getattr(spec, "__name__", repr(spec)), spec)
    name = spec[len("builtin:"):] if spec.startswith("builtin:") else spec
    if name in BUILTINS:
        return BUILTINS[name]
    if spec.startswith("builtin:") or ":" not in spec:
        known = sorted([*BUILTINS, *JOURNAL_BUILTINS])
        raise InvariantSpecError(f"invariant {spec!r}: no such built-in (known: {known})")
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InvariantSpecError(f"invariant {spec!r}: cannot import {module_name!r}: {exc}") \
            from None
    fn = getattr(module, attr, None)
    if isinstance(fn, Invariant):
        return fn
    if not callable(fn):
        raise InvariantSpecError(f"invariant {spec!r}: {module_name} has no function {attr!r}")
    return _wrap(spec, fn)


def _wrap(name: str, fn: Any) -> Invariant:
    kinds = getattr(fn, "kinds", None)
    return Invariant(name, fn, None if kinds is None else frozenset(int(k) for k in kinds),
                     bool(getattr(fn, "at_last", False)), bool(getattr(fn, "at_end", False)))


def invariant(kinds: Any = None, at_last: bool = False, at_end: bool = False) -> Any:
    """Decorator for user invariants: says after which kinds (and whether at LAST / end only)."""
    def mark(fn: Any) -> Any:
        fn.kinds, fn.at_last, fn.at_end = kinds, at_last, at_end
        return fn
    return mark
