"""Bar aggregation edges."""

from __future__ import annotations

from domain.codec import RAW_TUPLES
from domain.enums import BarAggregation, PriceType
from domain.kinds import Kind
from engines.bars import BarAggregator

S = 1_000_000_000


def trade(ts: int, price: int, size: int = 1):
    fields = dict.fromkeys(RAW_TUPLES[Kind.TRADE]._fields, 0)
    fields.update(kind=int(Kind.TRADE), ts_init=ts, ts_event=ts, price=price, size=size,
                  instrument_id=1)
    return RAW_TUPLES[Kind.TRADE](**fields)


def test_a_time_bar_closes_at_the_first_record_at_or_after_its_end_with_the_end_as_ts_event() -> None:
    agg = BarAggregator(1, BarAggregation.SECOND, 1, PriceType.LAST)
    assert agg.update(trade(S + 1, 10)) is None
    assert agg.update(trade(2 * S - 1, 12)) is None
    bar = agg.update(trade(2 * S, 11))  # exactly at the edge: closes the first bucket
    assert bar is not None
    assert (bar["ts_open"], bar["ts_event"]) == (S, 2 * S)
    assert (bar["open"], bar["high"], bar["low"], bar["close"]) == (10, 12, 10, 12)
    bar2 = agg.update(trade(5 * S + 3, 9))  # gap: empty buckets give no bar
    assert (bar2["ts_open"], bar2["close"]) == (2 * S, 11)


def test_tick_and_volume_bars_close_on_count_and_volume() -> None:
    tick = BarAggregator(1, BarAggregation.TICK, 3, PriceType.LAST)
    out = [tick.update(trade(i, 100 + i)) for i in range(1, 7)]
    assert [b is not None for b in out] == [False, False, True, False, False, True]
    assert out[2]["ts_event"] == 3 and out[2]["close"] == 103
    vol = BarAggregator(1, BarAggregation.VOLUME, 5, PriceType.LAST)
    assert vol.update(trade(1, 1, 3)) is None
    bar = vol.update(trade(2, 2, 2))
    assert bar is not None and bar["volume"] == 5
