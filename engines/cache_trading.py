"""The trading half of the cache: orders, positions, accounts and their indexes.

Design contract:
- orders are created by ORDER_INITIALIZED (also for an instrument without an INSTRUMENT record:
  risk then denies them) and changed only by ORDER_* records, through
  :class:`domain.orders.Order` (the order state machine); ORDER_MODIFY_REJECTED /
  ORDER_CANCEL_REJECTED of an unknown order are no-ops (and, by the state machine, of a closed
  one); any other event for an unknown order, or one the state machine refuses, raises a typed
  error naming the seq (crash-only);
- every ORDER_FILLED also moves a position (:class:`domain.positions.Position`) and, when the
  account is known, the account (:mod:`domain.accounts`). Position ids: the fill's, else the
  order's, else the netting id ``strategy_id << 32 | instrument_id`` (one position per
  instrument and strategy); a strategy registered as hedging gets, for a fill without a position
  id, the client order id of the order that opens it;
- an INPUT ACCOUNT_STATE (a venue report, a starting balance) is authoritative for totals and
  margins, and the first one of an account / currency creates it; ACCOUNT_STATE records the
  kernel emits (echoes of this cache after a fill) change nothing: fills move balances through
  the account classes; an account's order locks are derived from its open orders
  (:mod:`engines.cache_locks`), never read from a record, and a margin account's position
  margin is set on every fill; ACCOUNT_CONFIG (base currency, leverage) and FX_RATE (a rate and
  the amount converted at it) are folded into their account;
- indexes (by strategy, instrument, venue; open / closed) are dicts keyed in insertion order,
  which is log order: iteration is the same in every run;
- bounded memory: a closed order leaves the hot indexes (open orders, by strategy, by
  instrument) and joins the closed history (``orders_closed``, in closing order); with
  ``order_history = N`` only the N most recently closed orders stay in memory, older ones are
  forgotten (the journal keeps them; a late event for a forgotten order is an unknown order);
  ``None`` keeps every order; a forgotten DENIED / REJECTED order is first counted in
  ``forgotten_refusals`` (status, reason prefix -> count and first reason text, in forgetting
  order; bounded by the number of reason prefixes), so a report's refusal counts cover every
  order (:func:`replay.result_tables.refusals`);
- derived, neither hashed nor snapshotted (rebuilt on restore): ``pending_leaves``
  (:mod:`engines.cache_pending`), and the order change log: the client order id of every
  ORDER_* event applied, in log order (``order_changes``; entry ``i`` is event
  ``order_changes_dropped + i`` of this state), so a reader that remembers how far it read
  revisits only the orders that changed; it keeps the last ``CHANGES_KEPT`` or more;
- the digest hashes the open orders, then ``closed_digest``: a chain hash into which every
  closing order (and any later event on a closed order) is folded, in log order, so the state
  hash does not depend on ``order_history``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from domain.accounts import CashAccount, MarginAccount
from domain.currencies import Currency
from domain.digest import blake2b
from domain.enums import AccountType, OrderType, RecordFlag
from domain.instruments import Instrument
from domain.kinds import Kind
from domain.order_fsm import CLOSED_STATUSES, OrderStatus
from domain.orders import Order
from domain.positions import Position, PositionEffect
from engines.cache_locks import locked_by_orders, refresh_lock
from engines.cache_pending import PendingLeaves
from engines.reasons import args_of, order_reason

# Plain ints: ``rec.flags & RecordFlag.INPUT`` builds an IntFlag member per call (~1 µs).
_INPUT, _MARGIN, _FILLED = int(RecordFlag.INPUT), int(AccountType.MARGIN), int(Kind.ORDER_FILLED)
#: Refusals of a modify / cancel: they name an order that may be unknown (no-ops then).
_REPLIES = frozenset((int(Kind.ORDER_MODIFY_REJECTED), int(Kind.ORDER_CANCEL_REJECTED)))
_TRAILING = frozenset((OrderType.TRAILING_STOP_MARKET, OrderType.TRAILING_STOP_LIMIT))
_REFUSED = frozenset((OrderStatus.DENIED, OrderStatus.REJECTED))
_SUBMITTED, _INITIALIZED, _MARKET = OrderStatus.SUBMITTED, OrderStatus.INITIALIZED, OrderType.MARKET


def refusal_text(order: Order, text: Callable[[int], str]) -> str:
    """Returns a refused order's reason as a report shows it (rendered: engines/reasons.py)."""
    return order_reason(order, text) if order.reason_id else "(no reason given)"


class CacheError(RuntimeError):
    """A record breaks what the cache knows (unknown order or instrument); names the seq."""


def netting_position_id(instrument_id: int, strategy_id: int) -> int:
    """Returns the position id of a netting position: ``strategy_id << 32 | instrument_id``."""
    return (strategy_id << 32) | instrument_id


def _index(index: dict[int, dict[int, None]], key: int, item: int) -> None:
    """Adds ``item`` to ``index[key]`` (insertion-ordered), creating the entry the first time."""
    members = index.get(key)
    if members is None:
        index[key] = {item: None}
    else:
        members[item] = None


def _unindex(index: dict[int, dict[int, None]], key: int, item: int) -> None:
    """Removes ``item`` from ``index[key]``, dropping the entry once empty."""
    members = index.get(key)
    if members is not None:
        members.pop(item, None)
        if not members:
            del index[key]


#: Entries of the order change log kept at least (a reader further behind rescans).
CHANGES_KEPT = 4096

_ORDER_BYTES = struct.Struct("<QBqqQq").pack
_blake2b = blake2b  # one closed order's digest step each


def _order_bytes(coid: int, o: Order) -> bytes:
    """The bytes of an order that the state hash covers."""
    price = o.price_raw
    return _ORDER_BYTES(coid, o.status, o.quantity_raw, o.filled_raw, o.position_id,
                        -1 if price is None else price)


class TradingState:
    """Orders, positions and accounts folded from records; the cache owns one."""

    def __init__(self, instruments: dict[int, Instrument], order_history: int | None = None,
                 reason_text: Callable[[int], str] | None = None) -> None:
        if order_history is not None and order_history < 0:
            raise ValueError(f"order_history must be >= 0 or None, got {order_history}")
        self._instruments = instruments
        #: Closed orders kept in memory (None: all of them).
        self.order_history = order_history
        #: reason id -> text (the string table's); refusals of forgotten orders are counted by it
        self._reason_text = reason_text or str
        #: (status, reason prefix) -> [count, first reason text] of forgotten refused orders
        self.forgotten_refusals: dict[tuple[int, str], list[Any]] = {}
        #: Orders initialized since the start of the log (forgotten ones included).
        self.n_orders = 0
        #: Chain hash (blake2b-128) of every order as it closed, in log order.
        self.closed_digest = bytes(16)
        #: Open orders and the closed history, in initialization (log) order.
        self.orders: dict[int, Order] = {}
        self.orders_open: dict[int, None] = {}
        self.orders_closed: dict[int, None] = {}
        self.orders_by_strategy: dict[int, dict[int, None]] = {}
        self.orders_by_instrument: dict[int, dict[int, None]] = {}
        self.positions: dict[int, Position] = {}
        self.positions_open: dict[int, None] = {}
        self.positions_closed: dict[int, None] = {}
        self.positions_by_strategy: dict[int, dict[int, None]] = {}
        self.positions_by_instrument: dict[int, dict[int, None]] = {}
        self.accounts: dict[int, CashAccount | MarginAccount] = {}
        self.hedging_strategies: set[int] = set()
        #: What the last fill did: (position id, effect, fill seq); the execution engine emits
        #: position events from it while it handles that same fill.
        self.last_fill_effect: tuple[int, PositionEffect, int] | None = None
        #: Signed leaves of the orders that fill without a price condition (derived).
        self.pending_leaves = PendingLeaves()
        #: The order change log (derived; see the contract) and how many entries it dropped.
        self.order_changes: list[int] = []
        self.order_changes_dropped = 0

    # --- orders ----------------------------------------------------------------------------------
    def order_initialized(self, rec: Any, ctx: Any = None) -> None:
        """Creates the order of an ORDER_INITIALIZED record (``ctx`` unused: handler form)."""
        coid = rec.client_order_id
        if coid in self.orders:
            raise CacheError(f"seq {rec.seq}: client_order_id {coid} is initialized twice")
        # An order for an unknown instrument is still an order (the record carries its
        # precisions): risk denies it with an ORDER_DENIED, which closes it.
        order = Order.from_record(rec)
        self.orders[coid] = order
        self.orders_open[coid] = None
        self.n_orders += 1
        _index(self.orders_by_strategy, rec.strategy_id, coid)
        _index(self.orders_by_instrument, rec.instrument_id, coid)

    def trailing_offsets(self, rec: Any, ctx: Any = None) -> None:
        """Sets a trailing stop's offsets from its TRAILING_OFFSETS record (before submission)."""
        order = self.orders.get(rec.client_order_id)
        if order is None or order.order_type not in _TRAILING or order.trailing is not None \
                or order.status != OrderStatus.INITIALIZED:
            raise CacheError(
                f"seq {rec.seq}: TRAILING_OFFSETS for client_order_id {rec.client_order_id}, "
                f"which is not a trailing stop just initialized ({order!r})")
        order.trailing = (rec.trailing_offset_type, rec.trigger_type, rec.trailing_offset,
                          rec.limit_offset)

    def reason_args(self, rec: Any, ctx: Any = None) -> None:
        """Keeps a REASON_ARGS record's numbers on its order (none when the order is unknown:
        a refused modify of an unknown order) for rendering the refusal that follows."""
        order = self.orders.get(rec.client_order_id)
        if order is not None:
            order.reason_args = args_of(rec)

    def order_event(self, rec: Any, ctx: Any = None) -> None:
        """Applies an ORDER_* event to its order (``ctx`` unused: handler form)."""
        order = self.orders.get(rec.client_order_id)
        if order is None:
            if rec.kind in _REPLIES:
                return  # a modify / cancel of an unknown order, refused: nothing to change
            raise CacheError(
                f"seq {rec.seq}: {Kind(rec.kind).name} for unknown client_order_id "
                f"{rec.client_order_id}"
                + (" (or one closed long ago: see order_history)" if self.order_history is not None
                   else "")
            )
        order.apply_record(rec)
        coid = rec.client_order_id
        if rec.kind == _FILLED:
            self._fill(order, rec)
        if order.account_id:
            account = self.accounts.get(order.account_id)
            if account is not None:
                refresh_lock(order, self._instruments.get(order.instrument_id), account)
        status = order.status
        pending = self.pending_leaves
        counted = pending.counted
        was = counted.get(coid) if counted else None  # the order's entry before this event
        if status in CLOSED_STATUSES:
            self._closed(order)
            if was is not None:
                pending.drop(coid)
        elif (status == _SUBMITTED or (order.order_type == _MARKET and status != _INITIALIZED)
              ) and coid in self.orders_open:  # cache_pending.counts, inline: every event
            pending.put(order, was)
        elif was is not None:
            pending.drop(coid)
        changes = self.order_changes
        if len(changes) >= CHANGES_KEPT:
            self.order_changes_dropped += len(changes)
            changes.clear()
        changes.append(coid)

    def _closed(self, order: Order) -> None:
        """Moves a closed order from the hot indexes to the closed history (see the contract)."""
        coid = order.client_order_id
        if self.orders_open.pop(coid, 0) is None:  # it was open until this event
            _unindex(self.orders_by_strategy, order.strategy_id, coid)
            _unindex(self.orders_by_instrument, order.instrument_id, coid)
            self.orders_closed[coid] = None
        self.closed_digest = _blake2b(
            self.closed_digest + _order_bytes(coid, order), digest_size=16).digest()
        limit = self.order_history
        if limit is not None:
            closed = self.orders_closed
            while len(closed) > limit:
                oldest = next(iter(closed))
                del closed[oldest]
                self._forget(self.orders.pop(oldest))

    def _forget(self, order: Order) -> None:
        """Counts a forgotten order's refusal (see the contract)."""
        if order.status in _REFUSED:
            full = refusal_text(order, self._reason_text)
            entry = self.forgotten_refusals.setdefault(
                (int(order.status), full.split(":", 1)[0]), [0, full])
            entry[0] += 1

    def order(self, client_order_id: int) -> Order | None:
        """Returns the order, or None when unknown."""
        return self.orders.get(client_order_id)

    def rebuild_derived(self) -> None:
        """Recomputes the derived indexes from the orders (after a restore)."""
        self.pending_leaves.rebuild(self.orders, self.orders_open)

    # --- positions -------------------------------------------------------------------------------
    def position_id_for(self, order: Order, fill_position_id: int = 0) -> int:
        """Returns the position a fill of ``order`` applies to (see the module contract)."""
        if fill_position_id:
            return fill_position_id
        if order.position_id:
            return order.position_id
        if order.strategy_id in self.hedging_strategies:
            return order.client_order_id
        return netting_position_id(order.instrument_id, order.strategy_id)

    def _fill(self, order: Order, rec: Any) -> None:
        inst = self._instruments[rec.instrument_id]
        pid = self.position_id_for(order, rec.position_id)
        order.position_id = pid
        pos = self.positions.get(pid)
        if pos is None:
            pos = Position(inst, pid, rec.instrument_id, rec.strategy_id)
            self.positions[pid] = pos
            _index(self.positions_by_strategy, rec.strategy_id, pid)
            _index(self.positions_by_instrument, rec.instrument_id, pid)
        effect = pos.apply_fill(
            rec.side, rec.last_qty, rec.last_px, rec.commission, rec.commission_currency,
            rec.ts_event, rec.client_order_id, rec.trade_id,
        )
        if pos.is_open:
            self.positions_closed.pop(pid, None)
            self.positions_open[pid] = None
        else:
            self.positions_open.pop(pid, None)
            self.positions_closed[pid] = None
        self.last_fill_effect = (pid, effect, rec.seq)
        account = self.accounts.get(rec.account_id)
        if isinstance(account, CashAccount):
            account.apply_fill(inst, rec.side, rec.last_qty, rec.last_px, rec.commission,
                               rec.commission_currency)
        elif isinstance(account, MarginAccount):
            account.apply_fill(inst, pos.fill_realized_raw, rec.commission, rec.commission_currency)
            # maintenance margin of the position as it is now, at this fill's price
            account.update_position_margin(inst, pos.signed_raw, rec.last_px, pid)

    # --- accounts --------------------------------------------------------------------------------
    def account_state(self, rec: Any, ctx: Any = None) -> None:
        """Folds an ACCOUNT_STATE record (``ctx`` unused: handler form)."""
        account = self.accounts.get(rec.account_id)
        created = account is None
        if account is None:
            cls = MarginAccount if rec.account_type == _MARGIN else CashAccount
            account = self.accounts[rec.account_id] = cls(rec.account_id)
        code = rec.currency
        if code not in account._currencies:  # the first time: validate and remember the code
            code = account._ccy(Currency.from_packed(code))
        known = code in account._total
        if created or not known or rec.flags & _INPUT:
            # Reports from outside (a venue, the starting balance) set the balance. The kernel's
            # own ACCOUNT_STATE records echo this cache as of the fill that caused them: when
            # several fills share a batch, an echo arrives after later fills were applied, so
            # re-applying it would undo them.
            account._total[code] = rec.balance_total
            account._margin_init[code] = rec.margin_init
            account._margin_maint[code] = rec.margin_maint
            if not isinstance(account, CashAccount):
                account._locked[code] = rec.balance_locked
        if isinstance(account, CashAccount):
            # Locked funds of a cash account are derived from its open orders (cache_locks).
            account._locked[code] = locked_by_orders(account, code)

    def account_config(self, rec: Any, ctx: Any = None) -> None:
        """Folds an ACCOUNT_CONFIG record: the account's base currency and leverage."""
        account = self.accounts.get(rec.account_id)
        if account is None:
            raise CacheError(f"seq {rec.seq}: ACCOUNT_CONFIG for account_id {rec.account_id}, "
                             f"which no ACCOUNT_STATE created")
        if rec.base_currency:
            account._ccy(Currency.from_packed(rec.base_currency))
        account.base_code = rec.base_currency
        if isinstance(account, MarginAccount):
            account.default_leverage = rec.leverage

    def fx_rate(self, rec: Any, ctx: Any = None) -> None:
        """Folds an FX_RATE record into its account (the rate, and any amount converted)."""
        account = self.accounts.get(rec.account_id)
        if account is None:
            raise CacheError(f"seq {rec.seq}: FX_RATE for unknown account_id {rec.account_id}")
        account.apply_fx(rec.from_currency, rec.to_currency, rec.rate, rec.amount_from,
                         rec.amount_to)

    # --- digest and snapshot ---------------------------------------------------------------------
    def digest(self, h: blake2b) -> None:
        pack = struct.pack
        orders = self.orders
        for coid in self.orders_open:
            h.update(_order_bytes(coid, orders[coid]))
        h.update(self.closed_digest)
        for pid, p in self.positions.items():
            h.update(pack("<Qqqqd", pid, p.signed_raw, p.open_cost_raw, p.realized_gross_raw,
                          p.avg_px_open))
        for aid, acc in self.accounts.items():
            for f in acc.to_fields():
                h.update(pack("<IIqqqq", aid, f["currency"], f["balance_total"],
                              f["balance_locked"], f["margin_init"], f["margin_maint"]))
            base = getattr(acc, "base_code", 0)
            if base:
                h.update(pack("<I", base))
                for code, rate in sorted(acc.fx.items()):
                    h.update(pack("<Id", code, rate))

    def summary(self) -> dict[str, Any]:
        """Returns plain data describing orders, positions and accounts (JSON-able)."""
        return {
            "orders": {
                str(c): {"status": o.status.name, "filled_raw": o.filled_raw,
                         "quantity_raw": o.quantity_raw, "position_id": o.position_id}
                for c, o in self.orders.items()
            },
            "positions": {
                str(p): {"signed_raw": pos.signed_raw, "realized_pnl_raw": pos.realized_pnl_raw}
                for p, pos in self.positions.items()
            },
            "accounts": {str(a): acc.to_fields() for a, acc in self.accounts.items()},
        }
