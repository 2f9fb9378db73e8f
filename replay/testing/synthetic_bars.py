"""Seeded synthetic FX minute bars: bid and ask BAR records for any span, e.g. a year.

Design contract:
- :func:`fx_minute_bars` returns ``(bid, ask)``, two RECORD_DTYPE arrays of 1-MINUTE BAR INPUT
  records (``instrument_id`` 0, as the CSV loader gives them), one bar per minute the market is
  open, labelled by their close (``ts_event`` = ``ts_init`` = ``ts_open`` + 1 minute);
- the market is closed at weekends as the FX market is: from Friday 22:00 UTC to Sunday 22:00
  UTC no bar; the first bar after the weekend opens with a gap;
- the defaults resemble the shared GBP/USD 2012 minute bars (a median bar range of about 20
  ticks, a median move of about 9, a spread of 6-10 ticks);
- prices follow a random walk of the close in ticks (raw units at ``price_precision``), with an
  intraday volatility profile (quiet Asian hours, busier London and New York) and a high / low
  that reach beyond open and close; each bar opens at the previous close (continuous minute
  bars), so high >= max(open, close) >= min(open, close) >= low > 0;
- the ask closes at the bid's close plus that minute's spread (``spread`` ticks in the busiest
  hours up to about twice that in the quietest) and, like the bid, opens at its previous close
  (both series continuous, as the shared GBP/USD files are); its high / low are the bid's plus
  that spread, widened to its open: every ask OHLC field is at least ``spread`` above the
  bid's;
- deterministic: the same arguments give byte-identical arrays (numpy ``PCG64(seed)``; no clock).
"""

from __future__ import annotations

import numpy as np

from domain.enums import BarAggregation, PriceType
from domain.kinds import Kind
from replay.loaders.csv_common import new_records

MINUTE_NS = 60_000_000_000
_DAY_MIN = 1440
_WEEK_MIN = 7 * _DAY_MIN
#: 2012-01-01 00:00 UTC, a Sunday (the shared data's year).
START_2012_NS = 1_325_376_000 * 1_000_000_000


def open_minutes(start_ns: int, days: int) -> np.ndarray:
    """The opening times (ns) of the minutes the FX market trades within ``days`` days from
    ``start_ns`` (a midnight UTC): every minute but Friday 22:00 to Sunday 22:00 UTC."""
    t = start_ns + np.arange(days * _DAY_MIN, dtype=np.int64) * MINUTE_NS
    minute_of_week = (t // MINUTE_NS + 3 * _DAY_MIN) % _WEEK_MIN  # 0 = Monday 00:00 UTC (epoch: a Thursday)
    friday_close = 4 * _DAY_MIN + 22 * 60
    sunday_open = 6 * _DAY_MIN + 22 * 60
    closed = (minute_of_week >= friday_close) & (minute_of_week < sunday_open)
    return t[~closed]


def fx_minute_bars(days: int = 366, seed: int = 0, start_ns: int = START_2012_NS,
                   open_price: int = 155_000, price_precision: int = 5, sigma: float = 20.0,
                   spread: int = 6, weekend_gap: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
    """Returns ``(bid, ask)`` minute bars over ``days`` days (see the module contract).

    ``open_price``: the first bid open (raw); ``sigma``: the busiest hours' standard deviation
    of a minute's move, in ticks (Student-t with 4 degrees of freedom: fat tails); ``spread``: the quietest hours' spread in ticks;
    ``weekend_gap``: standard deviation of the gap at the Sunday open, in ticks."""
    if days <= 0 or open_price <= 0 or sigma <= 0 or spread < 0:
        raise ValueError(f"days, open_price and sigma must be > 0 and spread >= 0, got {days}, "
                         f"{open_price}, {sigma}, {spread}")
    ts_open = open_minutes(start_ns, days)
    n = len(ts_open)
    rng = np.random.Generator(np.random.PCG64(seed))
    hour = (ts_open // (60 * MINUTE_NS)) % 24
    activity = _ACTIVITY[hour]
    move = rng.standard_t(4, n) * (sigma / np.sqrt(2.0)) * activity  # fat tails, variance 1
    gap = np.diff(ts_open, prepend=ts_open[0]) > MINUTE_NS
    move[gap] += rng.standard_normal(int(gap.sum())) * weekend_gap
    close = open_price + np.cumsum(np.rint(move).astype(np.int64))
    floor = max(open_price // 10, 1)
    close = np.maximum(close, floor)  # a walk far below its start is held at a tenth of it
    open_ = np.concatenate(([open_price], close[:-1]))
    reach = np.rint(np.abs(rng.standard_normal((2, n))) * sigma * 0.6 * activity).astype(np.int64)
    high = np.maximum(open_, close) + reach[0]
    low = np.maximum(np.minimum(open_, close) - reach[1], 1)
    spreads = spread + np.rint(spread * (1.0 - activity)
                               + rng.exponential(0.15 * spread, n)).astype(np.int64)
    ask_close = close + spreads
    ask_open = np.concatenate(([open_price + spreads[0]], ask_close[:-1]))
    ask = (ask_open, np.maximum(high + spreads, ask_open), np.minimum(low + spreads, ask_open),
           ask_close)
    ts_close = ts_open + MINUTE_NS
    sides = []
    for price_type, ohlc in ((PriceType.BID, (open_, high, low, close)), (PriceType.ASK, ask)):
        out, b = new_records(Kind.BAR, ts_close, ts_close, 0, price_precision, 0)
        b["aggregation"], b["price_type"], b["step"] = BarAggregation.MINUTE, price_type, 1
        b["open"], b["high"], b["low"], b["close"] = ohlc
        b["ts_open"] = ts_open
        sides.append(out)
    return sides[0], sides[1]


#: Relative activity per UTC hour (1.0: London / New York overlap; quiet Asian night).
_ACTIVITY = np.array([0.45, 0.4, 0.4, 0.4, 0.45, 0.5, 0.6, 0.8, 0.9, 0.9, 0.85, 0.85,
                      0.95, 1.0, 1.0, 1.0, 0.9, 0.75, 0.6, 0.5, 0.45, 0.4, 0.4, 0.45])

__all__ = ["MINUTE_NS", "START_2012_NS", "fx_minute_bars", "open_minutes"]
