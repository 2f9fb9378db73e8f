"""Hypothesis strategies of consistent L2 and L3 book-delta streams.

Contracts:
- a stream is a list of venue events of 1..3 deltas; the last delta of each event carries LAST;
- bids rest at ``mid - k`` ticks (k >= 1) and asks at ``mid + k`` ticks (k >= 0), so the book
  is never crossed or locked after any delta (a fortiori after LAST);
- L3: every order id is added before it is modified or canceled; a cancel removes at most the
  resting size; a modify keeps the side; ids are 1, 2, 3 ... in order of addition;
- L2: ADD creates a level, MODIFY changes an existing one (size 0 removes it), CANCEL removes an
  existing level;
- with ``allow_clear`` an event may be a single CLEAR (the book empties); with ``trades`` TRADE
  reports (which never change the book) appear at the best price.
Steps are drawn as small tuples: a shrunk example is a handful of adds, modifies and cancels.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from domain.enums import BookAction, BookLevel, OrderSide, RecordFlag
from domain.instruments import Instrument
from domain.kinds import Kind
from replay.testing.instrument_strategies import instruments
from replay.testing.streams import INPUT, T0_NS, Stream, build, record
from replay.testing.streams import STREAM_INSTRUMENT_ID as IID

_LAST = int(RecordFlag.LAST)
_BUY, _SELL = int(OrderSide.BUY), int(OrderSide.SELL)


def _steps(allow_clear: bool, trades: bool, max_offset: int, max_lots: int) -> Any:
    side = st.sampled_from((_BUY, _SELL))
    offset = st.integers(0, max_offset)
    lots = st.integers(1, max_lots)
    pick = st.integers(0, 50)
    options = [
        st.tuples(st.just("add"), side, offset, lots),
        st.tuples(st.just("modify"), pick, offset, lots),
        st.tuples(st.just("cancel"), pick, lots),
    ]
    if trades:
        options.append(st.tuples(st.just("trade"), side, lots))
    if allow_clear:
        options.append(st.just(("clear",)))
    return st.lists(st.one_of(*options), min_size=1, max_size=3)


def _price(side: int, mid: int, offset: int, tick: int) -> int:
    return (mid - 1 - offset if side == _BUY else mid + offset) * tick


class _Emitter:
    def __init__(self, inst: Instrument, level: BookLevel) -> None:
        self.inst, self.level = inst, level
        self.body: list[Any] = []
        self.venue_seq = 0

    def delta(self, ts: int, action: int, side: int, price: int, size: int,
              order_id: int = 0) -> None:
        self.venue_seq += 1
        self.body.append(record(
            Kind.BOOK_DELTA, ts, INPUT, instrument_id=IID, price_precision=self.inst.price_precision,
            size_precision=self.inst.size_precision, action=action, side=side,
            level=int(self.level), price=price, size=size, order_id=order_id,
            venue_sequence=self.venue_seq))

    def end_event(self) -> None:
        self.body[-1]["flags"] |= _LAST


@st.composite
def l3_delta_streams(draw: Any, instrument: Instrument | None = None, min_events: int = 1,
                     max_events: int = 25, allow_clear: bool = False, trades: bool = False,
                     max_offset: int = 5, max_lots: int = 20) -> Stream:
    """Draws an L3 (market-by-order) BOOK_DELTA stream; see the module contract."""
    inst = instrument if instrument is not None else draw(instruments())
    tick, lot = inst.tick_size.raw, inst.lot_size.raw
    mid = draw(st.integers(max_offset + 10, max_offset + 1000))
    events = draw(st.lists(_steps(allow_clear, trades, max_offset, max_lots),
                           min_size=min_events, max_size=max_events))
    out = _Emitter(inst, BookLevel.L3)
    resting: dict[int, list[int]] = {}  # order id -> [side, price, size]
    next_id, ts = 1, T0_NS
    for event in events:
        ts += draw(st.integers(0, 5)) * 1_000_000
        for step in event:
            op = step[0]
            if op == "clear":
                out.delta(ts, BookAction.CLEAR, int(OrderSide.NO_SIDE), 0, 0)
                resting.clear()
                continue
            if op == "trade":
                out.delta(ts, BookAction.TRADE, step[1], _price(step[1], mid, 0, tick),
                          step[2] * lot)
                continue
            if op == "add" or not resting:
                side = step[1] if op == "add" else _BUY
                offset = step[2]
                lots = step[3] if op != "cancel" else step[2]
                oid, next_id = next_id, next_id + 1
                resting[oid] = [side, _price(side, mid, offset, tick), lots * lot]
                out.delta(ts, BookAction.ADD, side, resting[oid][1], lots * lot, oid)
                continue
            oid = sorted(resting)[step[1] % len(resting)]
            side, price, size = resting[oid]
            if op == "modify":
                new_price, new_size = _price(side, mid, step[2], tick), step[3] * lot
                resting[oid] = [side, new_price, new_size]
                out.delta(ts, BookAction.MODIFY, side, new_price, new_size, oid)
            else:
                amount = min(size, step[2] * lot)
                out.delta(ts, BookAction.CANCEL, side, price, amount, oid)
                if amount == size:
                    del resting[oid]
                else:
                    resting[oid][2] = size - amount
        out.end_event()
    return build(inst, out.body)


@st.composite
def l2_delta_streams(draw: Any, instrument: Instrument | None = None, min_events: int = 1,
                     max_events: int = 25, allow_clear: bool = False, max_offset: int = 5,
                     max_lots: int = 50) -> Stream:
    """Draws an L2 (market-by-price) BOOK_DELTA stream; see the module contract."""
    inst = instrument if instrument is not None else draw(instruments())
    tick, lot = inst.tick_size.raw, inst.lot_size.raw
    mid = draw(st.integers(max_offset + 10, max_offset + 1000))
    events = draw(st.lists(_steps(allow_clear, False, max_offset, max_lots),
                           min_size=min_events, max_size=max_events))
    out = _Emitter(inst, BookLevel.L2)
    levels: dict[tuple[int, int], int] = {}  # (side, price) -> size
    ts = T0_NS
    for event in events:
        ts += draw(st.integers(0, 5)) * 1_000_000
        for step in event:
            op = step[0]
            if op == "clear":
                out.delta(ts, BookAction.CLEAR, int(OrderSide.NO_SIDE), 0, 0)
                levels.clear()
            elif op == "add" or (op == "modify" and not levels):
                side = step[1] if op == "add" else _BUY
                key = (side, _price(side, mid, step[2], tick))
                action = BookAction.MODIFY if key in levels else BookAction.ADD
                levels[key] = step[3] * lot
                out.delta(ts, action, side, key[1], levels[key])
            elif not levels:
                out.delta(ts, BookAction.ADD, _BUY, _price(_BUY, mid, 0, tick), step[2] * lot)
                levels[(_BUY, _price(_BUY, mid, 0, tick))] = step[2] * lot
            else:
                key = sorted(levels)[step[1] % len(levels)]
                if op == "modify":
                    levels[key] = step[3] * lot
                    out.delta(ts, BookAction.MODIFY, key[0], key[1], levels[key])
                else:
                    del levels[key]
                    out.delta(ts, BookAction.CANCEL, key[0], key[1], 0)
        out.end_event()
    return build(inst, out.body)
