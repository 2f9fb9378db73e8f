"""Hypothesis strategies: instruments, values on their grids, and market-data streams.

Every stream is drawn as a list of small steps (tick moves, time steps, sizes) and only then
turned into records, so hypothesis shrinks it to few records with small moves: a failing
example prints as a short, readable stream (:func:`replay.testing.pretty.format_stream`).

Contracts of the generated streams (beyond :mod:`replay.testing.streams`):
- prices are positive multiples of the tick size, quantities positive multiples of the lot;
- quotes: ``bid < ask``; each step moves the mid by at most ``max_move_ticks`` ticks, except an
  occasional gap (at most ``gap_ticks``); time steps are small, with occasional long gaps;
- bars: ``low <= open, close <= high``; trades: an aggressor side on every trade;
- L2 / L3 book streams: see :mod:`replay.testing.book_strategies` (re-exported here).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from domain.enums import AggressorSide, BarAggregation, PriceType
from domain.instruments import Instrument
from domain.kinds import Kind
from replay.testing.book_strategies import l2_delta_streams, l3_delta_streams
from replay.testing.commands import order_command_lists
from replay.testing.instrument_strategies import instruments
from replay.testing.streams import STREAM_INSTRUMENT_ID as IID
from replay.testing.streams import T0_NS, Stream, build, record

__all__ = [
    "bar_streams", "instruments", "l2_delta_streams", "l3_delta_streams", "order_command_lists",
    "prices", "quantities", "quote_streams", "time_steps", "trade_streams",
]

_MS = 1_000_000


def prices(instrument: Instrument, min_ticks: int = 1, max_ticks: int = 1_000_000) -> Any:
    """Draws a raw price on the instrument's tick grid, ``min_ticks..max_ticks`` ticks."""
    tick = instrument.tick_size.raw
    return st.integers(min_ticks, max_ticks).map(lambda n: n * tick)


def quantities(instrument: Instrument, max_lots: int = 100) -> Any:
    """Draws a raw quantity on the instrument's lot grid, 1..``max_lots`` lots."""
    lot = instrument.lot_size.raw
    return st.integers(1, max_lots).map(lambda n: n * lot)


def time_steps(max_gap_ns: int = 3_600_000_000_000) -> Any:
    """Draws a time step in ns: mostly 0-1000 ms (0 = same ts_init), sometimes a gap."""
    return st.one_of(st.integers(0, 1000).map(lambda n: n * _MS),
                     st.integers(1, max_gap_ns // 1_000_000_000).map(lambda s: s * 10**9))


def _moves(max_move: int, gap_ticks: int) -> Any:
    return st.one_of(st.integers(-max_move, max_move), st.integers(-gap_ticks, gap_ticks))


def _mid_path(draw: Any, n: int, max_move: int, gap_ticks: int) -> list[int]:
    moves = draw(st.lists(_moves(max_move, gap_ticks), min_size=n, max_size=n))
    return _walk(draw(st.integers(0, 1000)) + gap_ticks * n + 10, moves)


def _walk(start: int, moves: list[int]) -> list[int]:
    path, mid = [], start
    for m in moves:
        mid = max(2, mid + m)
        path.append(mid)
    return path


@st.composite
def quote_streams(draw: Any, instrument: Instrument | None = None, min_size: int = 1,
                  max_size: int = 30, max_move_ticks: int = 3, gap_ticks: int = 40) -> Stream:
    """Draws a QUOTE stream: bid < ask on the tick grid, bounded moves, occasional gaps.

    Each quote is one step (mid move in ticks, time step, spread in ticks, bid and ask size in
    lots), so a shrunk stream is a few quotes with small moves."""
    inst = instrument if instrument is not None else draw(instruments())
    tick, lot = inst.tick_size.raw, inst.lot_size.raw
    step = st.tuples(_moves(max_move_ticks, gap_ticks), time_steps(), st.integers(1, 4),
                     st.integers(1, 50), st.integers(1, 50))
    steps = draw(st.lists(step, min_size=min_size, max_size=max_size))
    mids = _walk(draw(st.integers(0, 1000)) + gap_ticks * len(steps) + 10, [s[0] for s in steps])
    body, ts = [], T0_NS
    for mid, (_, dt, spread, bid_lots, ask_lots) in zip(mids, steps, strict=True):
        ts += dt
        bid_ticks = max(1, mid - spread // 2)
        body.append(record(Kind.QUOTE, ts, instrument_id=IID, price_precision=inst.price_precision,
                           size_precision=inst.size_precision, bid=bid_ticks * tick,
                           ask=(bid_ticks + spread) * tick, bid_size=bid_lots * lot,
                           ask_size=ask_lots * lot))
    return build(inst, body)


@st.composite
def trade_streams(draw: Any, instrument: Instrument | None = None, min_size: int = 1,
                  max_size: int = 30, max_move_ticks: int = 3, gap_ticks: int = 40) -> Stream:
    """Draws a TRADE stream: prices on the grid with bounded moves, trade ids 1, 2, ..."""
    inst = instrument if instrument is not None else draw(instruments())
    tick, lot = inst.tick_size.raw, inst.lot_size.raw
    sides = st.sampled_from((AggressorSide.BUYER, AggressorSide.SELLER))
    step = st.tuples(_moves(max_move_ticks, gap_ticks), time_steps(), sides, st.integers(1, 20))
    steps = draw(st.lists(step, min_size=min_size, max_size=max_size))
    mids = _walk(draw(st.integers(0, 1000)) + gap_ticks * len(steps) + 10, [s[0] for s in steps])
    body, ts = [], T0_NS
    for i, (mid, (_, dt, side, lots)) in enumerate(zip(mids, steps, strict=True)):
        ts += dt
        body.append(record(Kind.TRADE, ts, instrument_id=IID, price_precision=inst.price_precision,
                           size_precision=inst.size_precision, aggressor_side=int(side),
                           price=mid * tick, size=lots * lot, trade_id=i + 1))
    return build(inst, body)


@st.composite
def bar_streams(draw: Any, instrument: Instrument | None = None, min_size: int = 1,
                max_size: int = 30, step_minutes: int = 1) -> Stream:
    """Draws one-``step_minutes`` LAST bars: consecutive, ``low <= open, close <= high``."""
    inst = instrument if instrument is not None else draw(instruments())
    n = draw(st.integers(min_size, max_size))
    tick, lot = inst.tick_size.raw, inst.lot_size.raw
    width = step_minutes * 60 * 10**9
    body = []
    opens = _mid_path(draw, n, 3, 40)
    for i, o in enumerate(opens):
        c = max(2, o + draw(st.integers(-3, 3)))
        hi = max(o, c) + draw(st.integers(0, 2))
        lo = max(1, min(o, c) - draw(st.integers(0, 2)))
        close_ts = T0_NS + (i + 1) * width
        body.append(record(Kind.BAR, close_ts, instrument_id=IID,
                           price_precision=inst.price_precision,
                           size_precision=inst.size_precision,
                           aggregation=int(BarAggregation.MINUTE), price_type=int(PriceType.LAST),
                           step=step_minutes, open=o * tick, high=hi * tick, low=lo * tick,
                           close=c * tick, volume=draw(st.integers(0, 500)) * lot,
                           ts_open=close_ts - width))
    return build(inst, body)
