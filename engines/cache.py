"""The cache: the ``state`` reducer every other component reads.

Design contract:
- a pure fold over records: STRING (into the kernel's string table), INSTRUMENT
  (:class:`domain.instruments.Instrument`), latest QUOTE / TRADE / BAR per instrument (kept as raw
  namedtuples; BAR per (instrument, aggregation, step, price type)), BOOK_DELTA into the books
  package's books (created on an instrument's first delta, L2 or L3 as the record says), and the
  trading state of :mod:`engines.cache_trading` (orders, positions, accounts, indexes);
- QUOTE, TRADE, BAR and BOOK_DELTA are also taken in batch form (``apply_batch``): the result is
  the same as one at a time (last record per instrument wins; books apply the run in order);
- a record for an unknown instrument (other than INSTRUMENT itself and STRING) raises
  :class:`CacheError` naming the seq, kind and instrument id; so does an order event for an
  unknown order, and the order state machine's InvalidTransition propagates as it is;
- iteration orders are insertion (log) orders, so everything derived from them is deterministic.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

import numpy as np

from domain.codec import RAW_STRUCTS, RAW_TUPLES
from domain.digest import blake2b
from domain.instruments import Instrument
from domain.kinds import LAYOUTS, RECORD_DTYPE, Kind
from domain.order_fsm import ORDER_EVENT_KINDS
from domain.orders import Order
from domain.positions import Position
from domain.strings import StringTable
from engines.cache_snapshot import restore_cache, snapshot_cache
from engines.cache_trading import CacheError, TradingState, netting_position_id
from engines.component import Reducer
from engines.context import KernelContext
from engines.routing import sole, take_rows

if TYPE_CHECKING:
    from engines.book import L2Book, L3Book

__all__ = ["Cache", "CacheError", "netting_position_id"]

_MARKET = (int(Kind.QUOTE), int(Kind.TRADE), int(Kind.BAR))
_QUOTE_KIND = int(Kind.QUOTE)
_IID_AT = struct.Struct("<I")
_LEVEL_AT = LAYOUTS[Kind.BOOK_DELTA].offsets["level"]


class _BindsLookups:
    """A cache attribute whose value's dicts the hot lookups are bound to: assigning it stores
    the value and binds each lookup (``name=path``: the value's attribute ``path``, or the value
    itself for ``""``) to that dict's ``get``. It has no ``__get__``: a read finds the value in
    the instance's dict, as a plain attribute."""

    def __init__(self, **lookups: str) -> None:
        self._lookups = lookups
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __set__(self, obj: Any, value: Any) -> None:
        attrs = obj.__dict__
        attrs[self._name] = value
        for lookup, path in self._lookups.items():
            attrs[lookup] = (getattr(value, path) if path else value).get


class Cache(Reducer):
    """Instruments, strings, market data, books, orders, positions and accounts."""

    is_cache = True
    handles = (
        int(Kind.STRING), int(Kind.INSTRUMENT), *_MARKET, int(Kind.BOOK_DELTA),
        int(Kind.ORDER_INITIALIZED), *ORDER_EVENT_KINDS, int(Kind.ACCOUNT_STATE),
        int(Kind.ACCOUNT_CONFIG), int(Kind.FX_RATE), int(Kind.TRAILING_OFFSETS),
        int(Kind.REASON_ARGS),
    )
    batch_kinds = (*_MARKET, int(Kind.BOOK_DELTA))

    #: Closed orders kept in memory when the constructor is not told (None: every order; see
    #: :mod:`engines.cache_trading`). Nodes tell it: ``[run] order_history`` (default 100 000,
    #: replay.config.RunConfig).
    default_order_history: int | None = None

    def __init__(self, component_id: str = "cache", strings: StringTable | None = None,
                 order_history: int | None = -1) -> None:
        super().__init__(component_id)
        self.order_history = self.default_order_history if order_history == -1 else order_history
        self.strings = strings if strings is not None else StringTable()
        self.instruments: dict[int, Instrument] = {}
        self.quotes: dict[int, Any] = {}
        self.trades: dict[int, Any] = {}
        self.bars: dict[tuple[int, int, int, int], Any] = {}
        self.books: dict[int, L2Book | L3Book] = {}
        self.trading = TradingState(self.instruments, self.order_history, self._reason_text)

    # The hot lookups (``order``, ``position``, ``account``, ``instrument``, ``quote``: read
    # several times per order command by risk, the order manager, execution and the exchange)
    # are their dicts' C-level ``get``, bound per instance by :class:`_BindsLookups` whenever
    # the attribute holding the dicts is assigned (``trading`` on reset and restore,
    # ``quotes`` on restore); the methods below document them.
    trading = _BindsLookups(order="orders", position="positions", account="accounts")
    quotes = _BindsLookups(quote="")
    instruments = _BindsLookups(instrument="")

    def _reason_text(self, reason_id: int) -> str:
        return self.strings.text(reason_id)

    def on_register(self, kernel: Any) -> None:
        """Shares the kernel's string table (the context interns into it)."""
        self.strings = kernel.strings

    def handlers(self) -> dict[int, Any]:
        # The trading state's methods take ``(rec, ctx)`` so they are registered bound, with no
        # lambda frame in between (the kernel calls one handler per order record).
        t = self.trading
        table: dict[int, Any] = {
            Kind.STRING: self._string,
            Kind.INSTRUMENT: self._instrument,
            Kind.QUOTE: self._quote,
            Kind.TRADE: self._trade,
            Kind.BAR: self._bar,
            Kind.BOOK_DELTA: self._book_delta,
            Kind.ORDER_INITIALIZED: t.order_initialized,
            Kind.ACCOUNT_STATE: t.account_state,
            Kind.ACCOUNT_CONFIG: t.account_config,
            Kind.FX_RATE: t.fx_rate,
            Kind.TRAILING_OFFSETS: t.trailing_offsets,
            Kind.REASON_ARGS: t.reason_args,
        }
        for kind in ORDER_EVENT_KINDS:
            table[kind] = t.order_event
        return {int(k): v for k, v in table.items()}

    # --- per-record ------------------------------------------------------------------------------
    def _string(self, rec: Any, ctx: KernelContext) -> None:
        self.strings.apply_part(rec.seq, rec.string_id, rec.part, rec.n_parts,
                                rec.text.rstrip(b"\x00"))  # numpy's S80 drops the padding

    def _instrument(self, rec: Any, ctx: KernelContext) -> None:
        symbol = self.strings.get(rec.instrument_id)
        if symbol is None:
            raise CacheError(
                f"seq {rec.seq}: INSTRUMENT for instrument_id {rec.instrument_id}, "
                f"which no STRING record defined"
            )
        self.instruments[rec.instrument_id] = Instrument.from_fields(rec._asdict(), symbol)

    def _known(self, rec: Any) -> None:
        if rec.instrument_id not in self.instruments:
            raise CacheError(
                f"seq {rec.seq}: {Kind(rec.kind).name} for unknown instrument_id "
                f"{rec.instrument_id} (no INSTRUMENT record before it)"
            )

    def _quote(self, rec: Any, ctx: KernelContext) -> None:
        if rec.instrument_id not in self.instruments:
            self._known(rec)
        self.quotes[rec.instrument_id] = rec

    def last_stands(self, kind: int, last: Any) -> bool:
        """A QUOTE run of a known instrument: only the latest quote is kept."""
        return kind == _QUOTE_KIND and last.instrument_id in self.instruments

    def _trade(self, rec: Any, ctx: KernelContext) -> None:
        if rec.instrument_id not in self.instruments:
            self._known(rec)
        self.trades[rec.instrument_id] = rec

    def _bar(self, rec: Any, ctx: KernelContext) -> None:
        self._known(rec)
        self.bars[(rec.instrument_id, rec.aggregation, rec.step, rec.price_type)] = rec

    def _book_delta(self, rec: Any, ctx: KernelContext) -> None:
        self._known(rec)
        self._book_for(rec.instrument_id, rec.level).apply(
            np.frombuffer(RAW_STRUCTS[Kind.BOOK_DELTA].pack(*rec), dtype=RECORD_DTYPE)
        )

    def _book_for(self, instrument_id: int, level: int) -> L2Book | L3Book:
        book = self.books.get(instrument_id)
        if book is None:
            # imported with the first book: a run of quotes, trades or bars never loads the books
            # (their modules and compiled-kernel loader: ~4 ms of start-up)
            from engines.book import L2Book, L3Book

            book = L3Book(instrument_id) if level == 3 else L2Book(instrument_id)
            self.books[instrument_id] = book
        return book

    # --- batch -----------------------------------------------------------------------------------
    def apply_batch(self, records: np.ndarray, ctx: KernelContext) -> None:
        """Applies a run of QUOTE / TRADE / BAR / BOOK_DELTA records (others are skipped)."""
        kinds = records["kind"]
        only = sole(kinds)
        for kind in np.unique(kinds).tolist() if only is None else (only,):
            if kind not in _MARKET and kind != Kind.BOOK_DELTA:
                continue
            # the usual run is of one kind: read in place
            sub = records if only is not None else take_rows(
                records, np.flatnonzero(kinds == kind))
            iids = sub.view(np.uint32).reshape(len(sub), -1)[:, 10]  # instrument_id at byte 40
            one_iid = sole(iids)
            if one_iid is not None:
                uniq, first_rev = np.array([one_iid], dtype=np.uint32), np.zeros(1, dtype=np.intp)
            else:
                uniq, first_rev = np.unique(iids[::-1], return_index=True)
            for iid in uniq.tolist():
                if iid not in self.instruments:
                    at = int(np.flatnonzero(iids == iid)[0])
                    rec = RAW_TUPLES[kind]._make(RAW_STRUCTS[kind].unpack_from(sub[at].tobytes()))
                    self._known(rec)
            if kind == Kind.BOOK_DELTA:
                levels = sub.view(np.uint8).reshape(len(sub), -1)[:, _LEVEL_AT]
                for iid in np.unique(iids).tolist():
                    at = int(np.flatnonzero(iids == iid)[0])
                    self._book_for(iid, int(levels[at])).apply(sub)
                continue
            last = len(sub) - 1 - first_rev
            if kind == Kind.BAR:
                for j in range(len(sub)):  # bars are few; keep every (type) key exact
                    data = sub[j].tobytes()
                    self._bar(RAW_TUPLES[kind]._make(RAW_STRUCTS[kind].unpack_from(data)), ctx)
                continue
            target = self.quotes if kind == Kind.QUOTE else self.trades
            make, unpack = RAW_TUPLES[kind]._make, RAW_STRUCTS[kind].unpack_from
            data = sub[last].tobytes()
            for j, iid in enumerate(uniq.tolist()):
                target[iid] = make(unpack(data, j * 128))

    # --- queries ---------------------------------------------------------------------------------
    def instrument(self, instrument_id: int) -> Instrument | None:
        """Returns the instrument, or None when no INSTRUMENT record defined it."""
        return self.instruments.get(instrument_id)

    def quote(self, instrument_id: int) -> Any:
        """Returns the latest QUOTE raw tuple of the instrument, or None."""
        return self.quotes.get(instrument_id)

    def trade(self, instrument_id: int) -> Any:
        """Returns the latest TRADE raw tuple of the instrument, or None."""
        return self.trades.get(instrument_id)

    def book(self, instrument_id: int) -> L2Book | L3Book | None:
        """Returns the instrument's book, or None when no BOOK_DELTA arrived for it."""
        return self.books.get(instrument_id)

    def order(self, client_order_id: int) -> Order | None:
        """Returns the order, or None."""
        return self.trading.orders.get(client_order_id)

    def orders(self, strategy_id: int | None = None, instrument_id: int | None = None,
               open_only: bool = False, closed_only: bool = False) -> list[Order]:
        """Returns orders in log order, filtered by strategy, instrument and open / closed.

        ``open_only`` reads the hot indexes (orders not closed); otherwise the open orders and
        the closed history the cache keeps (``order_history``) are scanned."""
        t = self.trading
        ids: Any
        if open_only:
            if strategy_id is not None:
                ids = t.orders_by_strategy.get(strategy_id, ())
            elif instrument_id is not None:
                ids = t.orders_by_instrument.get(instrument_id, ())
            else:
                ids = t.orders_open
        else:
            ids = t.orders
        out = []
        for coid in ids:
            o = t.orders[coid]
            if instrument_id is not None and o.instrument_id != instrument_id:
                continue
            if strategy_id is not None and o.strategy_id != strategy_id:
                continue
            if (open_only and not o.is_open) or (closed_only and not o.is_closed):
                continue
            out.append(o)
        return out

    def live_orders(self, instrument_id: int) -> list[Order]:
        """Returns the instrument's orders that are submitted or open (O(orders not closed))."""
        from domain.order_fsm import OrderStatus  # noqa: PLC0415

        t = self.trading
        return [o for coid in t.orders_open if (o := t.orders[coid]).instrument_id == instrument_id
                and (o.is_open or o.status == OrderStatus.SUBMITTED)]

    def orders_for_venue(self, venue: str) -> list[Order]:
        """Returns the orders on instruments of ``venue`` (the part after the dot), in log order."""
        text = self.strings.get
        return [o for o in self.trading.orders.values()
                if text(o.instrument_id, "").rpartition(".")[2] == venue]

    def position(self, position_id: int) -> Position | None:
        """Returns the position, or None."""
        return self.trading.positions.get(position_id)

    def positions(self, strategy_id: int | None = None, instrument_id: int | None = None,
                  open_only: bool = False) -> list[Position]:
        """Returns positions in the order they were opened, filtered."""
        t = self.trading
        ids: Any = t.positions_open if open_only else t.positions
        out = []
        for pid in ids:
            p = t.positions[pid]
            if strategy_id is not None and p.strategy_id != strategy_id:
                continue
            if instrument_id is not None and p.instrument_id != instrument_id:
                continue
            out.append(p)
        return out

    def account(self, account_id: int) -> Any:
        """Returns the account, or None."""
        return self.trading.accounts.get(account_id)

    # --- state -----------------------------------------------------------------------------------
    def digest(self, h: blake2b) -> None:
        for sid, text in self.strings.items():
            h.update(struct.pack("<I", sid) + text.encode() + b"\x00")
        for iid in self.instruments:
            h.update(struct.pack("<I", iid))
        # Sorted keys: the batch path inserts new instruments in id order, one at a time in log
        # order; the hash must not depend on which path ran.
        # The latest records are hashed without seq and cause: the state does not depend on how
        # the log is numbered (a recovered run's log holds RUN_RECOVERED and a continuation
        # RUN_STARTED more than an uninterrupted one, and must hash the same).
        for table in (self.quotes, self.trades, self.bars):
            for key in sorted(table):
                rec = table[key]
                h.update(RAW_STRUCTS[rec.kind].pack(*rec._replace(seq=0, cause=0)))
        for iid in sorted(self.books):
            book = self.books[iid]
            h.update(struct.pack("<I", iid))
            snap = book.snapshot()
            for key in sorted(snap):
                h.update(key.encode() + np.ascontiguousarray(snap[key]).tobytes())
        self.trading.digest(h)

    def snapshot(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:  # type: ignore[override]
        """Returns ``(doc, arrays)``: the whole state (see :mod:`engines.cache_snapshot`)."""
        return snapshot_cache(self)

    def restore(self, doc: dict[str, Any], arrays: dict[str, np.ndarray] | None = None) -> None:
        """Replaces the state with one returned by :meth:`snapshot`."""
        restore_cache(self, doc, arrays or {})

    def summary(self) -> dict[str, Any]:
        """Returns instruments, market data and a summary of the trading state as plain data."""
        def recs(values: Any) -> list[str]:
            return [RAW_STRUCTS[r.kind].pack(*r).hex() for r in values]
        return {
            "instruments": sorted(self.instruments),
            "quotes": recs(self.quotes.values()),
            "trades": recs(self.trades.values()),
            "bars": recs(self.bars.values()),
            "trading": self.trading.summary(),
        }

    def on_reset(self) -> None:
        self.instruments.clear()
        self.quotes.clear()
        self.trades.clear()
        self.bars.clear()
        self.books.clear()
        self.trading = TradingState(self.instruments, self.order_history, self._reason_text)
