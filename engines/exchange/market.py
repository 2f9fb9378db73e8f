"""What the exchange reads from the cache, and the liquidity it has already taken.

Design contract:
- :class:`VenueState` is the read-only view the exchange needs; the kernel's cache provides it
  (or an adapter passed as ``ExchangeConfig``'s ``view``); the exchange never mutates it;
- :func:`visible_levels` returns the opposite side an order would take, best first: the last
  QUOTE's touch (L1; its size is "unbounded" when quote sizes are nominal) or the book's levels
  (L2, and L3 aggregated by price);
- :class:`ConsumedLiquidity` remembers, per (instrument, book side, price), the level size seen
  and how much of it the simulation took: that volume is not available again until the data
  changes the level's size. Entries are kept in insertion order (deterministic iteration).
"""

from __future__ import annotations

from typing import Any, Protocol

from domain.enums import BookLevel, OrderSide
from domain.instruments import Instrument
from domain.orders import Order
from domain.schema import NULL_I64
from engines.cache_trading import netting_position_id
from engines.exchange.matching import Level

_BUY = OrderSide.BUY  # read per order: a global, not an enum class attribute (~70 ns)

UNBOUNDED = 1 << 60


class VenueState(Protocol):
    """Read-only market and order state (the kernel's cache implements it)."""

    def instrument(self, instrument_id: int) -> Instrument | None:
        """Returns the instrument, or None when undefined."""
        ...

    def order(self, client_order_id: int) -> Order | None:
        """Returns the order (folded from ORDER_* events), or None when unknown."""
        ...

    def quote(self, instrument_id: int) -> tuple[int, int, int, int] | None:
        """Returns the last quote's raw (bid, ask, bid_size, ask_size), NULL_I64 for a missing
        side, or None when no quote arrived yet."""
        ...

    def book(self, instrument_id: int) -> Any:
        """Returns the instrument's L2Book / L3Book, or None."""
        ...

    def position_qty_raw(self, instrument_id: int, strategy_id: int, position_id: int) -> int:
        """Returns the signed raw quantity of the position ``position_id`` (0: the strategy's
        netting position on the instrument); 0 when flat or unknown."""
        ...


class CacheView:
    """Adapts the kernel's :class:`engines.cache.Cache` to :class:`VenueState`."""

    __slots__ = ("_cache",)

    def __init__(self, cache: Any) -> None:
        self._cache = cache

    def instrument(self, instrument_id: int) -> Instrument | None:
        return self._cache.instrument(instrument_id)

    def order(self, client_order_id: int) -> Order | None:
        return self._cache.order(client_order_id)

    def quote(self, instrument_id: int) -> tuple[int, int, int, int] | None:
        q = self._cache.quote(instrument_id)
        return None if q is None else (q.bid, q.ask, q.bid_size, q.ask_size)

    def book(self, instrument_id: int) -> Any:
        return self._cache.book(instrument_id)

    def position_qty_raw(self, instrument_id: int, strategy_id: int, position_id: int) -> int:
        pid = position_id or netting_position_id(instrument_id, strategy_id)
        pos = self._cache.position(pid)
        return 0 if pos is None else int(pos.signed_raw)


def visible_levels(view: VenueState, instrument_id: int, taking_side: int, level: BookLevel,
                   depth: int, nominal_l1_sizes: bool) -> list[Level]:
    """Returns the levels an order of ``taking_side`` would take (the opposite side), best first."""
    if level == BookLevel.L1:
        q = view.quote(instrument_id)
        if q is None:
            return []
        px, size = (q[1], q[3]) if taking_side == _BUY else (q[0], q[2])
        if px == NULL_I64:
            return []
        return [(px, UNBOUNDED if nominal_l1_sizes else size)]
    book = view.book(instrument_id)
    if book is None:
        return []
    bids, asks = book.depth(depth)
    rows = asks if taking_side == _BUY else bids
    return [(int(p), int(s)) for p, s in rows.tolist()]


class ConsumedLiquidity:
    """Liquidity the simulation took from each level, valid while the level's size is unchanged."""

    __slots__ = ("_taken",)

    def __init__(self) -> None:
        self._taken: dict[tuple[int, int, int], list[int]] = {}

    def __len__(self) -> int:
        return len(self._taken)

    def available(self, instrument_id: int, book_side: int, levels: list[Level]) -> list[Level]:
        """Returns ``levels`` minus what was taken from them; forgets levels the data changed."""
        out: list[Level] = []
        taken = self._taken
        for px, size in levels:
            key = (instrument_id, book_side, px)
            entry = taken.get(key)
            if entry is None:
                out.append((px, size))
            elif entry[0] != size:
                del taken[key]
                out.append((px, size))
            else:
                out.append((px, size - entry[1]))
        return out

    def take(self, instrument_id: int, book_side: int, px: int, level_size: int, qty: int) -> None:
        """Records that ``qty`` was taken from the level ``px`` whose data size is ``level_size``."""
        key = (instrument_id, book_side, px)
        entry = self._taken.get(key)
        if entry is None or entry[0] != level_size:
            self._taken[key] = [level_size, qty]
        else:
            entry[1] += qty

    def taken(self, instrument_id: int, book_side: int, px: int) -> int:
        """Returns the size taken from a level (0 when none is recorded)."""
        entry = self._taken.get((instrument_id, book_side, px))
        return 0 if entry is None else entry[1]

    def to_doc(self) -> list[list[int]]:
        """Returns the entries as plain data, in insertion order."""
        return [[*k, *v] for k, v in self._taken.items()]

    def restore(self, doc: list[list[int]]) -> None:
        """Replaces the entries with :meth:`to_doc` data."""
        self._taken = {(int(a), int(b), int(c)): [int(d), int(e)] for a, b, c, d, e in doc}
