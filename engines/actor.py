"""The Actor API: subscriptions, market-data handlers, a clock with timers, saved state.

Design contract:
- an actor overrides the ``on_*`` handlers it needs; a handler it does not override is never
  called and does not make the replay loop publish those inputs one at a time (``reacts_to``
  answers from the overridden handlers and the subscriptions);
- ``on_quote`` / ``on_trade`` get light objects (:mod:`engines.market_data`) for subscribed
  instruments only; ``on_bar`` gets BAR records of subscribed bar types; ``on_book`` the cache's
  book after each delta flagged LAST of a subscribed instrument; ``on_timer(name, ts_event)`` the
  actor's own timers; ``on_order_event`` / ``on_position_event`` the raw records of its strategy;
- the actor's own state is captured in snapshots as :mod:`engines.actor_state` says: the
  ``state_fields`` it declares, or what ``on_save() -> dict`` returns (given back to
  ``on_load(dict)``, and audited: an attribute changed since registration that neither keeps is
  a snapshot error), or else every attribute it set; the digest covers all of its attributes.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from domain.enums import BarAggregation, PriceType, RecordFlag
from domain.kinds import Kind
from domain.order_fsm import ORDER_EVENT_KINDS
from engines.actor_state import audit, dump, fingerprint, load, user_attributes
from engines.clock import Clock
from engines.component import Reactor
from engines.market_data import Bar, QuoteTick, TradeTick
from engines.strategy_args import expect_instrument

POSITION_KINDS = (int(Kind.POSITION_OPENED), int(Kind.POSITION_CHANGED), int(Kind.POSITION_CLOSED))
ORDER_KINDS = (int(Kind.ORDER_INITIALIZED), *ORDER_EVENT_KINDS)


class SubscriptionError(ValueError):
    """A subscription names an instrument that is not interned, or bad bar parameters."""


def _overrides(obj: object, name: str) -> bool:
    return getattr(type(obj), name) is not getattr(Actor, name)


class Actor(Reactor):
    """Base of actors and strategies; see the module contract."""

    is_actor = True
    #: The attributes the state of this actor consists of (None: see the module contract).
    state_fields: ClassVar[tuple[str, ...] | None] = None
    #: Attributes ``on_load`` recomputes: neither captured nor audited.
    derived_fields: ClassVar[tuple[str, ...]] = ()
    #: Attributes the framework sets and snapshots itself.
    framework_attrs: ClassVar[frozenset[str]] = frozenset((
        "component_id", "state", "source_id", "kernel", "ctx", "clock", "_quote_subs",
        "_trade_subs", "_book_subs", "_bar_subs", "_state_baseline"))

    def __init__(self, component_id: str | None = None) -> None:
        super().__init__(component_id or type(self).__name__)
        self.source_id = 0
        self.kernel: Any = None
        self.ctx: Any = None
        self.clock: Clock | None = None
        self._quote_subs: dict[int, None] = {}
        self._trade_subs: dict[int, None] = {}
        self._book_subs: dict[int, None] = {}
        self._bar_subs: dict[tuple[int, int, int, int], None] = {}

    def on_register(self, kernel: Any) -> None:
        """Binds the actor to the kernel (context, cache, clock)."""
        self.kernel = kernel
        self.ctx = kernel.ctx
        self.clock = Clock(kernel.ctx, self.source_id)
        self._state_baseline = {n: fingerprint(getattr(self, n))
                                for n in user_attributes(self, self.framework_attrs)}

    @property
    def cache(self) -> Any:
        """The kernel's cache (read only)."""
        return self.ctx.cache

    @property
    def portfolio(self) -> Any:
        """The portfolio, when one is registered (read only)."""
        return self.ctx.portfolio

    # --- subscriptions ---------------------------------------------------------------------------
    def instrument_id(self, instrument: str | int) -> int:
        """Returns the interned id of an instrument given as ``SYMBOL.VENUE`` or as its id;
        anything else is a TypeError naming the expected types."""
        if isinstance(instrument, int) and not isinstance(instrument, bool):
            return instrument
        expect_instrument("instrument_id", instrument)
        iid = self.ctx.strings.id_of(str(instrument))
        if iid is None:
            raise SubscriptionError(f"{self.component_id}: instrument {instrument!r} is not interned")
        return iid

    def subscribe_quotes(self, instrument: str | int) -> None:
        """Delivers QUOTE records of ``instrument`` to ``on_quote``."""
        self._quote_subs[self.instrument_id(instrument)] = None
        self.ctx.reactions_changed()

    def subscribe_trades(self, instrument: str | int) -> None:
        """Delivers TRADE records of ``instrument`` to ``on_trade``."""
        self._trade_subs[self.instrument_id(instrument)] = None
        self.ctx.reactions_changed()

    def subscribe_book(self, instrument: str | int) -> None:
        """Calls ``on_book(instrument_id, book)`` after each LAST book delta of ``instrument``."""
        self._book_subs[self.instrument_id(instrument)] = None
        self.ctx.reactions_changed()

    def subscribe_bars(
        self, instrument: str | int, aggregation: BarAggregation, step: int,
        price_type: PriceType = PriceType.LAST,
    ) -> None:
        """Delivers bars of that type to ``on_bar``; the data engine aggregates them."""
        if step <= 0:
            raise SubscriptionError(f"{self.component_id}: bar step must be > 0, got {step}")
        key = (self.instrument_id(instrument), int(aggregation), int(step), int(price_type))
        self._bar_subs[key] = None
        engine = getattr(self.kernel, "data_engine", None)
        if engine is not None:
            engine.subscribe_bars(*key)
        self.ctx.reactions_changed()

    def unsubscribe_quotes(self, instrument: str | int) -> None:
        self._quote_subs.pop(self.instrument_id(instrument), None)
        self.ctx.reactions_changed()

    def unsubscribe_trades(self, instrument: str | int) -> None:
        self._trade_subs.pop(self.instrument_id(instrument), None)
        self.ctx.reactions_changed()

    # --- dispatch --------------------------------------------------------------------------------
    def handlers(self) -> dict[int, Any]:
        """Returns the kinds this actor handles, from the handlers it overrides."""
        h: dict[int, Any] = {int(Kind.TIMER): self._on_timer_record}
        if _overrides(self, "on_quote"):
            h[int(Kind.QUOTE)] = self._on_quote_record
        if _overrides(self, "on_trade"):
            h[int(Kind.TRADE)] = self._on_trade_record
        if _overrides(self, "on_bar"):
            h[int(Kind.BAR)] = self._on_bar_record
        if _overrides(self, "on_book"):
            h[int(Kind.BOOK_DELTA)] = self._on_book_record
        if _overrides(self, "on_order_event"):
            for k in ORDER_KINDS:
                h[k] = self._on_order_record
        if _overrides(self, "on_position_event"):
            for k in POSITION_KINDS:
                h[k] = self._on_position_record
        return h

    def reacts_to(self, kind: int, instrument_id: int) -> bool:
        if kind == Kind.QUOTE:
            return instrument_id in self._quote_subs and _overrides(self, "on_quote")
        if kind == Kind.TRADE:
            return instrument_id in self._trade_subs and _overrides(self, "on_trade")
        if kind == Kind.BOOK_DELTA:
            return instrument_id in self._book_subs and _overrides(self, "on_book")
        if kind == Kind.BAR:
            return _overrides(self, "on_bar") and any(k[0] == instrument_id for k in self._bar_subs)
        return kind in self.handlers()

    # The kernel consumer routes a QUOTE / TRADE here only when ``reacts_to`` said yes for its
    # instrument (answers are re-asked after every ``reactions_changed``): no second check.
    def _on_quote_record(self, rec: Any, ctx: Any) -> None:
        self.on_quote(QuoteTick(rec))

    def _on_trade_record(self, rec: Any, ctx: Any) -> None:
        self.on_trade(TradeTick(rec))

    def _on_bar_record(self, rec: Any, ctx: Any) -> None:
        if (rec.instrument_id, rec.aggregation, rec.step, rec.price_type) in self._bar_subs:
            self.on_bar(Bar(rec))

    def _on_book_record(self, rec: Any, ctx: Any) -> None:
        if rec.instrument_id in self._book_subs and rec.flags & RecordFlag.LAST:
            self.on_book(rec.instrument_id, self.cache.book(rec.instrument_id))

    def _on_timer_record(self, rec: Any, ctx: Any) -> None:
        if rec.owner_id == self.source_id and self.clock is not None:
            name = self.clock.on_fire(rec)
            if name is not None:
                self.on_timer(name, rec.ts_event)

    def _on_order_record(self, rec: Any, ctx: Any) -> None:
        if rec.strategy_id == self.source_id:
            self.on_order_event(rec)

    def _on_position_record(self, rec: Any, ctx: Any) -> None:
        if rec.strategy_id == self.source_id:
            self.on_position_event(rec)

    # --- handlers to override ----------------------------------------------------------------------
    def on_quote(self, quote: QuoteTick) -> None:
        """Called for each QUOTE of a subscribed instrument."""

    def on_trade(self, trade: TradeTick) -> None:
        """Called for each TRADE of a subscribed instrument."""

    def on_bar(self, bar: Bar) -> None:
        """Called for each BAR of a subscribed bar type."""

    def on_book(self, instrument_id: int, book: Any) -> None:
        """Called after each complete (LAST) book update of a subscribed instrument."""

    def on_timer(self, name: str, ts_event: int) -> None:
        """Called when one of this actor's timers fires (``ts_event`` = scheduled time)."""

    def on_order_event(self, rec: Any) -> None:
        """Called with each ORDER_* raw record of this strategy."""

    def on_position_event(self, rec: Any) -> None:
        """Called with each POSITION_* raw record of this strategy."""

    def on_save(self) -> dict[str, Any]:
        """Returns the actor's own state as plain data (JSON-able)."""
        return {}

    def on_load(self, state: dict[str, Any]) -> None:
        """Restores what ``on_save`` returned."""

    # --- state -----------------------------------------------------------------------------------
    def _saves_itself(self) -> bool:
        return type(self).on_save is not Actor.on_save and self.state_fields is None

    def _user_state(self, checked: bool) -> dict[str, Any]:
        """Returns the captured user state; ``checked``: audit what it leaves out."""
        if self._saves_itself():
            saved = self.on_save()
            captured = set(saved)
        else:
            names = self.state_fields if self.state_fields is not None else [
                n for n in user_attributes(self, self.framework_attrs)
                if n not in self.derived_fields]
            saved = {n: dump(getattr(self, n), f"{self.component_id}.{n}") for n in names}
            captured = set(names)
        if checked and (self.state_fields is not None or self._saves_itself()):
            audit(self, captured, getattr(self, "_state_baseline", {}), self.framework_attrs)
        return saved

    def _load_user_state(self, state: dict[str, Any]) -> None:
        if self._saves_itself():
            self.on_load(state)
            return
        for name, doc in state.items():
            setattr(self, name, load(getattr(self, name, None), doc,
                                     f"{self.component_id}.{name}"))
        self.on_load({n: getattr(self, n) for n in state})

    def snapshot(self) -> dict[str, Any]:
        return {
            "user": self._user_state(checked=True),
            "clock": self.clock.snapshot() if self.clock else None,
            "subs": {
                "quotes": list(self._quote_subs), "trades": list(self._trade_subs),
                "book": list(self._book_subs), "bars": [list(k) for k in self._bar_subs],
            },
        }

    def restore(self, doc: dict[str, Any]) -> None:
        self._load_user_state(doc["user"])
        if self.clock is not None and doc["clock"] is not None:
            self.clock.restore(doc["clock"])
        subs = doc["subs"]
        self._quote_subs = dict.fromkeys(subs["quotes"])
        self._trade_subs = dict.fromkeys(subs["trades"])
        self._book_subs = dict.fromkeys(subs["book"])
        self._bar_subs = dict.fromkeys(tuple(k) for k in subs["bars"])

    def digest(self, h: Any) -> None:
        """Hashes the snapshot's state and the fingerprint of every user attribute."""
        doc = {**self.snapshot(), "attrs": {
            n: fingerprint(getattr(self, n))
            for n in user_attributes(self, self.framework_attrs)}}
        h.update(json.dumps(doc, sort_keys=True).encode())
