"""Bars CSV (``timestamp,open,high,low,close[,volume]``) -> BAR records.

Design contract:
- the bar spec comes from the caller (``BarSpec.parse("1-MINUTE-BID")``), as does whether the
  file's timestamp is the bar's open or its close; a BAR's ``ts_event`` is always its close and
  ``ts_open`` its open (for open-labelled files ``ts_event = timestamp + step * unit``);
- open-labelled files need a time aggregation (SECOND, MINUTE, HOUR, DAY);
- refused, naming line, field and value: bad or non-exact prices, negative prices or volume,
  ``high < max(open, close)``, ``low > min(open, close)``, timestamps going backwards;
- volumes needing more decimals than ``size_precision`` (or overflowing int64 at it) are refused
  unless ``round_volume=True`` (e.g. the BTC file's float-noise volumes like
  ``218102.59507500002``: 11 decimals of 1e8 overflow); the error names the options to pass and
  suggests the fewest decimals that drop only float noise (:func:`suggest_volume_precision`);
- without ``volume`` the volume is 0; precisions not given are inferred in the same pass
  (:func:`~replay.loaders.csv_common.sample_precisions`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import attrs
import numpy as np

from domain.enums import BarAggregation, PriceType
from domain.kinds import Kind
from replay.loaders.csv_common import (
    DEFAULT_CHUNK_SIZE,
    MAX_PRECISION,
    RowChunk,
    check_positive,
    iter_row_chunks,
    new_records,
    parse_decimals,
    parse_decimals_rounded,
    with_precisions,
)
from replay.loaders.csv_time import TIME_COLUMNS, EventTimes
from replay.loaders.errors import DataError

PRICES = ("open", "high", "low", "close")
_PRECISION_PROBLEMS = ("decimals but the precision is", "overflows int64")
_NOISE_ULPS = 4
_UNIT_NS = {BarAggregation.SECOND: 1_000_000_000, BarAggregation.MINUTE: 60_000_000_000,
            BarAggregation.HOUR: 3_600_000_000_000, BarAggregation.DAY: 86_400_000_000_000}


@attrs.frozen
class BarSpec:
    """What one bar covers: ``step`` units of ``aggregation``, built from ``price_type``."""

    step: int
    aggregation: BarAggregation
    price_type: PriceType = PriceType.LAST

    def __attrs_post_init__(self) -> None:
        if self.step < 1:
            raise ValueError(f"bar step must be >= 1, got {self.step}")

    @classmethod
    def parse(cls, text: str) -> BarSpec:
        """Parses ``STEP-AGGREGATION[-PRICE_TYPE]``, e.g. ``1-MINUTE`` or ``5-SECOND-BID``."""
        parts = text.strip().upper().split("-")
        try:
            step, agg = int(parts[0]), BarAggregation[parts[1]]
            price_type = PriceType[parts[2]] if len(parts) > 2 else PriceType.LAST
        except (ValueError, KeyError, IndexError):
            raise ValueError(f"bar spec must look like '1-MINUTE' or '5-SECOND-BID', got {text!r}"
                             ) from None
        if len(parts) > 3:
            raise ValueError(f"bar spec has too many parts: {text!r}")
        return cls(step, agg, price_type)

    @property
    def interval_ns(self) -> int | None:
        """The bar's duration in ns, or None for non-time aggregations."""
        unit = _UNIT_NS.get(self.aggregation)
        return None if unit is None else unit * self.step


@attrs.frozen
class BarOptions:
    """How a bars file is read. Precisions of None are inferred from the data."""

    spec: BarSpec = BarSpec(1, BarAggregation.MINUTE)
    timestamp_is: Literal["open", "close"] = "open"
    price_precision: int | None = None
    size_precision: int | None = None
    #: round volumes half up to size_precision instead of refusing extra decimals (needs an
    #: explicit size_precision); prices are never rounded
    round_volume: bool = False
    infer_rows: int | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE
    source: int = 0


def bar_records(chunk: RowChunk, ts: np.ndarray, ts_init: np.ndarray | None, instrument_id: int,
                pp: int, sp: int, options: BarOptions) -> np.ndarray:
    """Builds the BAR records of one chunk after checking every row of it."""
    o, h, low, c = (parse_decimals(chunk, f, pp) for f in PRICES)
    for field, raw in zip(PRICES, (o, h, low, c), strict=True):
        check_positive(chunk, field, raw)
    bad = np.flatnonzero(h < np.maximum(o, c))
    if bad.size:
        raise chunk.fail(int(bad[0]), "high", "high is below max(open, close)")
    bad = np.flatnonzero(low > np.minimum(o, c))
    if bad.size:
        raise chunk.fail(int(bad[0]), "low", "low is above min(open, close)")
    interval = options.spec.interval_ns or 0
    ts_open, ts_close = (ts, ts + interval) if options.timestamp_is == "open" else (ts - interval, ts)
    out, b = new_records(Kind.BAR, ts_close, ts_close if ts_init is None else ts_init,
                         instrument_id, pp, sp, options.source)
    b["aggregation"], b["price_type"], b["step"] = (options.spec.aggregation,
                                                    options.spec.price_type, options.spec.step)
    b["open"], b["high"], b["low"], b["close"], b["ts_open"] = o, h, low, c, ts_open
    if "volume" in chunk.columns:
        parse = parse_decimals_rounded if options.round_volume else parse_decimals
        volume = parse(chunk, "volume", sp)
        check_positive(chunk, "volume", volume)
        b["volume"] = volume
    return out


def iter_bars_csv(path: str | Path, instrument_id: int, options: BarOptions | None = None,
                  **overrides: object) -> Iterator[np.ndarray]:
    """Yields RECORD_DTYPE arrays of at most ``chunk_size`` BAR INPUT records, in file order.

    ``ts_init`` is the bar's close (the earliest a bar can be known), or the file's ``ts_init``.
    """
    options = attrs.evolve(options or BarOptions(), **overrides)
    if options.timestamp_is not in ("open", "close"):
        raise ValueError(f"timestamp_is must be 'open' or 'close', got {options.timestamp_is!r}")
    if options.spec.interval_ns is None and options.timestamp_is == "open":
        raise ValueError(f"an open-labelled bar file needs a time aggregation, got "
                         f"{options.spec.aggregation.name}; use timestamp_is='close'")
    if options.round_volume and options.size_precision is None:
        raise ValueError("round_volume=True needs an explicit size_precision")
    path = str(path)
    numbers = {**TIME_COLUMNS, **dict.fromkeys(PRICES, options.price_precision)}
    if not options.round_volume:  # rounded volumes are read from their digits
        numbers["volume"] = options.size_precision
    chunks = iter_row_chunks(path, options.chunk_size, required=PRICES, numbers=numbers)
    pp, sp, chunks = with_precisions(chunks, (options.price_precision, PRICES),
                                     (options.size_precision, ("volume",)), options.infer_rows)
    times = EventTimes()
    for chunk in chunks:
        ts, ts_init = times.read(chunk)
        try:
            records = bar_records(chunk, ts, ts_init if "ts_init" in chunk.columns else None,
                                  instrument_id, pp, sp, options)
        except DataError as exc:
            if (exc.field != "volume" or options.round_volume
                    or not any(p in exc.why for p in _PRECISION_PROBLEMS)):
                raise
            raise _volume_advice(exc, path) from None
        yield records


def suggest_volume_precision(path: str | Path) -> int | None:
    """Returns the fewest decimals (<= MAX_PRECISION) at which every volume of the file differs
    from its rounding by at most a few float64 ulps (the rest is float noise) and the largest
    volume still fits int64; None if no precision does. Only ever a suggestion: the loader
    rounds nothing unless asked."""
    ok = np.ones(MAX_PRECISION + 1, bool)
    for chunk in iter_row_chunks(path, DEFAULT_CHUNK_SIZE, required=("volume",)):
        try:
            v = np.abs(np.array(chunk.columns["volume"].tolist(), np.float64))
        except ValueError:
            continue
        for d in np.flatnonzero(ok).tolist():
            noise = np.abs(v - np.round(v, d)) <= _NOISE_ULPS * np.spacing(v)
            ok[d] = bool(noise.all()) and float(v.max(initial=0.0)) * 10.0**d < 9.2e18
    found = np.flatnonzero(ok)
    return int(found[0]) if found.size else None


def _volume_advice(exc: DataError, path: str) -> DataError:
    """Returns ``exc`` with what to do: the options to pass and a suggested size_precision."""
    d = suggest_volume_precision(path)
    size = "N (the decimals to keep)" if d is None else str(d)
    why = (f"{exc.why}; to load it, round volume (only volume, half up) by passing "
           f"size_precision={size}, round_volume=True")
    if d is not None:
        why += f" ({d} decimals drop only float noise in this file)"
    why += (f"; on the command line: --data-option size_precision={size} "
            "--data-option round_volume=true")
    return DataError(exc.path, exc.line, exc.field, exc.value, why)
