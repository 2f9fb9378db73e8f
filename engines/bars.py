"""Bar aggregation from quotes or trades: time, tick and volume bars.

Design contract:
- a time bar of ``step`` units covers ``[start, start + step * unit)`` with ``start`` a multiple
  of the interval (epoch-aligned); it closes at the first record whose ``ts_init`` is at or after
  its end, BEFORE that record is added to the next bar; its ``ts_event`` is the bucket end and
  ``ts_open`` the bucket start; buckets without records produce no bar;
- a tick bar closes after ``step`` updates, a volume bar once its volume reaches ``step`` whole
  units (``step * 10**size_precision`` raw); their ``ts_event`` is the last update's ``ts_init``;
- prices: BID / ASK / MID (integer mean, rounded down) of quotes, LAST of trades; volume: the
  side's size of quotes (the mean of both for MID), the size of trades.
"""

from __future__ import annotations

from typing import Any

from domain.enums import BarAggregation, PriceType
from domain.kinds import Kind

UNIT_NS = {
    BarAggregation.SECOND: 1_000_000_000,
    BarAggregation.MINUTE: 60_000_000_000,
    BarAggregation.HOUR: 3_600_000_000_000,
    BarAggregation.DAY: 86_400_000_000_000,
}


class BarSpecError(ValueError):
    """A bar type that cannot be aggregated (bad step, price type or aggregation)."""


def source_kind(price_type: int) -> int:
    """Returns the record kind a bar of ``price_type`` is built from (QUOTE or TRADE)."""
    return int(Kind.TRADE) if price_type == PriceType.LAST else int(Kind.QUOTE)


class BarAggregator:
    """Builds bars of one type for one instrument; ``update`` returns a finished bar's fields."""

    def __init__(self, instrument_id: int, aggregation: int, step: int, price_type: int) -> None:
        if step <= 0:
            raise BarSpecError(f"bar step must be > 0, got {step}")
        agg = BarAggregation(aggregation)
        if agg not in UNIT_NS and agg not in (BarAggregation.TICK, BarAggregation.VOLUME):
            raise BarSpecError(f"bar aggregation {agg.name} is not supported")
        self.key = (instrument_id, int(aggregation), int(step), int(price_type))
        self.interval_ns = UNIT_NS[agg] * step if agg in UNIT_NS else 0
        self.agg = agg
        self.step = step
        self.price_type = PriceType(price_type)
        self.open = self.high = self.low = self.close = 0
        self.volume = 0
        self.count = 0
        self.ts_open = 0
        self.bucket_end = 0
        self.precisions = (0, 0)

    def _price_volume(self, rec: Any) -> tuple[int, int]:
        pt = self.price_type
        if pt == PriceType.LAST:
            return rec.price, rec.size
        if pt == PriceType.BID:
            return rec.bid, rec.bid_size
        if pt == PriceType.ASK:
            return rec.ask, rec.ask_size
        return (rec.bid + rec.ask) // 2, (rec.bid_size + rec.ask_size) // 2

    def update(self, rec: Any) -> dict[str, Any] | None:
        """Adds one QUOTE / TRADE raw record; returns the fields of a bar it closed, or None."""
        price, vol = self._price_volume(rec)
        ts = rec.ts_init
        out = None
        if self.interval_ns:
            if self.count and ts >= self.bucket_end:
                out = self._finish(self.bucket_end)
            if not self.count:
                self.ts_open = ts - ts % self.interval_ns
                self.bucket_end = self.ts_open + self.interval_ns
        elif not self.count:
            self.ts_open = ts
        self._add(price, vol, rec)
        if not self.interval_ns:
            full = self.count >= self.step if self.agg == BarAggregation.TICK else (
                self.volume >= self.step * 10 ** rec.size_precision)
            if full:
                out = self._finish(ts)
        return out

    def _add(self, price: int, vol: int, rec: Any) -> None:
        if not self.count:
            self.open = self.high = self.low = price
            self.precisions = (rec.price_precision, rec.size_precision)
        else:
            self.high = max(self.high, price)
            self.low = min(self.low, price)
        self.close = price
        self.volume += vol
        self.count += 1

    def _finish(self, ts_event: int) -> dict[str, Any]:
        iid, agg, step, pt = self.key
        fields = {
            "ts_event": ts_event, "instrument_id": iid, "price_precision": self.precisions[0],
            "size_precision": self.precisions[1], "aggregation": agg, "price_type": pt,
            "step": step, "open": self.open, "high": self.high, "low": self.low,
            "close": self.close, "volume": self.volume, "ts_open": self.ts_open,
        }
        self.count = 0
        self.volume = 0
        return fields

    def state(self) -> list[int]:
        """Returns the partial bar as plain ints (snapshot and digest)."""
        return [self.open, self.high, self.low, self.close, self.volume, self.count,
                self.ts_open, self.bucket_end, *self.precisions]

    def set_state(self, values: list[int]) -> None:
        (self.open, self.high, self.low, self.close, self.volume, self.count, self.ts_open,
         self.bucket_end, p, s) = values
        self.precisions = (p, s)
