"""NautilusTrader's ParquetDataCatalog layout (as written and read by NautilusTrader 1.221).

Design contract (facts read from NautilusTrader 1.221's catalog and checked by a test that runs
its own ``ParquetDataCatalog`` on our files):
- a file lives at ``<root>/data/<type>/<id>/<start>_<end>.parquet``: ``type`` is
  ``quote_tick``, ``trade_tick``, ``bar`` or ``order_book_delta``; ``id`` is the instrument id
  (a bar's: its bar type) with ``/`` removed; ``start`` / ``end`` are the first and last
  ``ts_init`` as ``YYYY-MM-DDTHH-MM-SS-nnnnnnnnnZ``;
- the schema metadata holds ``instrument_id``, ``price_precision``, ``size_precision`` (and a
  bar's ``bar_type``); prices and sizes are fixed-point binary columns: 16 bytes (int128,
  ``10**16`` per unit: the high-precision build, which 1.221's wheels are and which we write) or
  8 bytes (int64, ``10**9`` per unit: the standard-precision build, read only);
- conversions are exact or refused: a value never gets rounded (:class:`FixedPointError`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pyarrow as pa

from domain.enums import BarAggregation, BookAction, PriceType, RecordFlag

QUOTE, TRADE, BAR, DELTA = "quote_tick", "trade_tick", "bar", "order_book_delta"
TYPES = (QUOTE, TRADE, BAR, DELTA)
#: fixed-point decimals of the 16-byte (high-precision) and 8-byte (standard) builds
FIXED_PRECISION = {16: 16, 8: 9}
#: NautilusTrader's ParquetDataCatalog default ``max_rows_per_group``
ROWS_PER_GROUP = 5000

_FIXED = pa.binary(16)
_TS = (pa.field("ts_event", pa.uint64(), False), pa.field("ts_init", pa.uint64(), False))
COLUMNS: Mapping[str, tuple[pa.Field, ...]] = {
    QUOTE: (*(pa.field(n, _FIXED, False) for n in ("bid_price", "ask_price", "bid_size",
                                                  "ask_size")), *_TS),
    TRADE: (pa.field("price", _FIXED, False), pa.field("size", _FIXED, False),
            pa.field("aggressor_side", pa.uint8(), False),
            pa.field("trade_id", pa.string(), False), *_TS),
    BAR: (*(pa.field(n, _FIXED, False) for n in ("open", "high", "low", "close", "volume")),
          *_TS),
    DELTA: (pa.field("action", pa.uint8(), False), pa.field("side", pa.uint8(), False),
            pa.field("price", _FIXED, False), pa.field("size", _FIXED, False),
            pa.field("order_id", pa.uint64(), False), pa.field("flags", pa.uint8(), False),
            pa.field("sequence", pa.uint64(), False), *_TS),
}
#: columns holding sizes (the others of fixed-point type hold prices)
SIZE_COLUMNS = frozenset({"bid_size", "ask_size", "size", "volume"})
#: ringbus BookAction -> NautilusTrader's order_book_delta action (ADD, UPDATE, DELETE, CLEAR)
DELTA_ACTIONS = {BookAction.ADD: 1, BookAction.MODIFY: 2, BookAction.CANCEL: 3,
                 BookAction.CLEAR: 4}
#: header RecordFlag -> NautilusTrader's (Databento's) flags bit
FLAG_BITS = ((RecordFlag.LAST, 128), (RecordFlag.SNAPSHOT, 32), (RecordFlag.BAD_TS, 8),
             (RecordFlag.MAYBE_BAD_BOOK, 4))


class FixedPointError(ValueError):
    """A fixed-point value cannot be converted exactly; ``row`` is its index in the column."""

    def __init__(self, row: int, value: object, why: str) -> None:
        super().__init__(why)
        self.row, self.value, self.why = row, value, why


def schema(kind: str, metadata: Mapping[str, str]) -> pa.Schema:
    """Returns the Arrow schema NautilusTrader writes for ``kind`` with ``metadata``."""
    return pa.schema(list(COLUMNS[kind]), metadata=dict(metadata))


def urisafe(identifier: str) -> str:
    """Returns the directory name of an instrument id or bar type (``/`` removed)."""
    return identifier.replace("/", "")


def _file_ts(ns: int) -> str:
    secs, nanos = divmod(ns, 1_000_000_000)
    stamp = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=secs)
    return f"{stamp:%Y-%m-%dT%H-%M-%S}-{nanos:09d}Z"


def file_name(start_ns: int, end_ns: int) -> str:
    """Returns the file name of data whose ts_init runs from ``start_ns`` to ``end_ns``."""
    return f"{_file_ts(start_ns)}_{_file_ts(end_ns)}.parquet"


def parse_file_name(name: str) -> tuple[int, int] | None:
    """Returns (start_ns, end_ns) of a catalog file name, or None if it is not one."""
    stem = name.removesuffix(".parquet")
    parts = stem.split("_")
    if len(parts) != 2 or stem == name:
        return None
    try:
        return _parse_file_ts(parts[0]), _parse_file_ts(parts[1])
    except ValueError:
        return None


def _parse_file_ts(text: str) -> int:
    day, _, rest = text.removesuffix("Z").partition("T")
    hh, mm, ss, nanos = rest.split("-")
    stamp = dt.datetime.fromisoformat(f"{day}T{hh}:{mm}:{ss}").replace(tzinfo=dt.UTC)
    return int(stamp.timestamp()) * 1_000_000_000 + int(nanos)


def bar_type(instrument_id: str, step: int, aggregation: int, price_type: int) -> str:
    """Returns NautilusTrader's bar type text, e.g. ``EUR/USD.SIM-1-MINUTE-BID-EXTERNAL``."""
    return (f"{instrument_id}-{step}-{BarAggregation(aggregation).name}-"
            f"{PriceType(price_type).name}-EXTERNAL")


def bar_duration_ns(step: int, aggregation: int) -> int:
    """Returns a bar's duration in ns: 0 for non-time bars (they open at their close)."""
    from replay.loaders.bars_csv import BarSpec

    return BarSpec(step, BarAggregation(aggregation)).interval_ns or 0


def parse_bar_type(text: str, instrument_id: str) -> tuple[int, BarAggregation, PriceType]:
    """Returns (step, aggregation, price type) of a standard bar type of ``instrument_id``;
    ValueError for anything else (a composite or unknown spec)."""
    spec = text.removeprefix(f"{instrument_id}-")
    parts = spec.split("-")
    if spec == text or len(parts) != 4 or parts[3] not in ("EXTERNAL", "INTERNAL") \
            or not parts[0].isdigit() or parts[1] not in BarAggregation.__members__ \
            or parts[2] not in PriceType.__members__ or int(parts[0]) < 1:
        raise ValueError(f"bar_type {text!r} is not STEP-AGGREGATION-PRICE_TYPE-SOURCE of "
                         f"{instrument_id!r} with aggregation in {list(BarAggregation.__members__)}")
    return int(parts[0]), BarAggregation[parts[1]], PriceType[parts[2]]


def to_fixed(raw: np.ndarray, precision: int) -> pa.Array:
    """Returns int64 values with ``precision`` decimals as 16-byte fixed-point (exact)."""
    shift = FIXED_PRECISION[16] - precision
    if shift < 0:
        raise ValueError(f"precision {precision} exceeds NautilusTrader's {FIXED_PRECISION[16]}")
    scaled = pa.array(np.ascontiguousarray(raw, np.int64)).cast(pa.decimal128(38, 0)) \
        .cast(pa.decimal128(38, shift))
    return pa.Array.from_buffers(_FIXED, len(scaled), scaled.buffers()[:2], offset=scaled.offset)


def from_fixed(column: pa.Array, precision: int) -> np.ndarray:
    """Returns a fixed-point column as int64 values with ``precision`` decimals; raises
    FixedPointError naming the first value that needs more decimals or overflows int64."""
    width = column.type.byte_width
    shift = FIXED_PRECISION[width] - precision
    if shift < 0:
        raise FixedPointError(0, precision, f"precision {precision} exceeds the file's "
                              f"{FIXED_PRECISION[width]} fixed-point decimals")
    if width == 8:
        units = np.frombuffer(column.buffers()[1], np.int64, len(column), column.offset * 8)
        factor = np.int64(10 ** shift)
        bad = np.flatnonzero(units % factor)
        if bad.size:
            _explain(column, precision)
        return units // factor
    as_decimal = pa.Array.from_buffers(pa.decimal128(38, shift), len(column),
                                       [None, column.buffers()[1]], offset=column.offset)
    try:
        return as_decimal.cast(pa.int64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        _explain(column, precision)  # raises FixedPointError naming the row and value
        raise  # no single value explains Arrow's refusal: its own error, unchanged


def _explain(column: pa.Array, precision: int) -> None:
    """Raises FixedPointError for the first value of ``column`` that does not convert."""
    width = column.type.byte_width
    shift = FIXED_PRECISION[width] - precision
    for row, value in enumerate(column.to_pylist()):
        units = int.from_bytes(value, "little", signed=True)
        whole, rest = divmod(units, 10 ** shift)
        shown = f"{units / 10 ** FIXED_PRECISION[width]!r} ({units} fixed-point units)"
        if rest:
            raise FixedPointError(row, shown, f"needs more decimals than the precision "
                                  f"{precision} (never rounded)")
        if not -(2 ** 63) <= whole < 2 ** 63:
            raise FixedPointError(row, shown, f"overflows int64 at precision {precision}")
