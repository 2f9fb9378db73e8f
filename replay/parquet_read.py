"""One NautilusTrader catalog Parquet file (:mod:`replay.parquet_layout`) -> ringbus INPUT records.

Design contract:
- :func:`open_file` checks the file's columns (names and types) and metadata before any row is
  read; :func:`iter_file_records` yields RECORD_DTYPE chunks of at most one Parquet batch, each
  checked in full before it is yielded (a bad row fails its whole chunk);
- refused with :class:`ParquetDataError` naming the file, the row (from 0), the field and the
  value: nulls, a value needing more decimals than the precision or overflowing int64 (never
  rounded), negative prices or sizes, crossed quotes (unless ``allow_crossed``), bars whose high
  or low does not contain open and close, unknown enum codes, and ``ts_init`` going backwards
  (within a file and across the files of one stream: pass one :class:`StreamClock`);
- the mapping: QUOTE, TRADE (a ``trade_id`` of digits is that integer, other text its BLAKE2b-64
  hash, as the trades CSV loader does), BAR (``ts_open`` = ``ts_event`` - the bar's duration;
  non-time bars open at their close), BOOK_DELTA (ADD, UPDATE -> MODIFY, DELETE -> CANCEL (L3:
  of the order's whole resting size, :mod:`replay.parquet_orders`), CLEAR; L3 when the
  catalog's deltas carry order ids, else L2; NautilusTrader's flags byte kept as
  ``venue_flags`` and its LAST / SNAPSHOT / BAD_TS / MAYBE_BAD_BOOK bits set in the header).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from domain.codec import as_kind, empty
from domain.digest import blake2b
from domain.enums import BookLevel, RecordFlag
from domain.kinds import Kind
from replay.loaders.errors import LoaderError
from replay.parquet_layout import (
    BAR,
    COLUMNS,
    DELTA,
    DELTA_ACTIONS,
    FLAG_BITS,
    QUOTE,
    SIZE_COLUMNS,
    TRADE,
    FixedPointError,
    bar_duration_ns,
    from_fixed,
    parse_bar_type,
)
from replay.parquet_orders import OrderSizes
from replay.sources import first_backwards

BATCH_ROWS = 1 << 16
_INT64_MAX = 2 ** 63 - 1
#: NautilusTrader's action code (1..4) -> ringbus BookAction
_FROM_ACTION = np.array([0, *sorted(DELTA_ACTIONS, key=DELTA_ACTIONS.__getitem__)], np.uint8)
_KINDS = {QUOTE: Kind.QUOTE, TRADE: Kind.TRADE, BAR: Kind.BAR, DELTA: Kind.BOOK_DELTA}


class ParquetDataError(LoaderError):
    """A catalog file holds a bad value; ``path``, ``row`` (from 0), ``field``, ``value``."""

    def __init__(self, path: str, row: int, field: str, value: object, rule: str) -> None:
        super().__init__(f"{path}: row {row}: field {field!r} = {value!r}: {rule}")
        self.path, self.row, self.field, self.value, self.rule = path, row, field, value, rule


class ParquetFormatError(LoaderError):
    """A file is not a NautilusTrader catalog file of the type its directory names."""


@attrs.frozen
class NautilusFile:
    """One catalog file: its data type, instrument, precisions and (bars) bar type."""

    path: str
    kind: str
    instrument_id: str
    price_precision: int
    size_precision: int
    rows: int
    bar_type: str | None = None


class StreamClock:
    """Checks that ``ts_init`` never goes backwards along one stream of files (ties allowed)."""

    def __init__(self) -> None:
        self.last_ns = -1

    def check(self, path: str, row0: int, ts_init: np.ndarray) -> None:
        if not ts_init.size:
            return
        back = first_backwards(self.last_ns, ts_init)
        if back is not None:
            i, before = back
            raise ParquetDataError(path, row0 + i, "ts_init", int(ts_init[i]),
                                   f"goes backwards ({int(ts_init[i])} ns < {before} ns "
                                   "before it)")
        self.last_ns = int(ts_init[-1])


def open_file(path: str | Path, kind: str) -> NautilusFile:
    """Returns the file's description after checking its columns and metadata."""
    path = str(path)
    try:
        meta = pq.read_metadata(path)
    except (OSError, pa.ArrowException) as exc:
        raise ParquetFormatError(f"{path}: not a readable Parquet file: {exc}") from None
    arrow = meta.schema.to_arrow_schema()
    for want in COLUMNS[kind]:
        got = arrow.field(want.name) if want.name in arrow.names else None
        ok = got is not None and (got.type == want.type or (
            pa.types.is_fixed_size_binary(want.type) and pa.types.is_fixed_size_binary(got.type)
            and got.type.byte_width == 8))
        if not ok:
            raise ParquetFormatError(f"{path}: column {want.name!r} is "
                                     f"{'missing' if got is None else got.type}; a NautilusTrader "
                                     f"{kind} file has {want.type}")
    info = {k.decode(): v.decode() for k, v in (arrow.metadata or {}).items()}
    for key in ("instrument_id", "price_precision", "size_precision") + (
            ("bar_type",) if kind == BAR else ()):
        if key not in info:
            raise ParquetFormatError(f"{path}: schema metadata {key!r} is missing (NautilusTrader "
                                     "writes instrument_id, price_precision, size_precision)")
    precisions = []
    for key in ("price_precision", "size_precision"):
        if not info[key].isdigit() or int(info[key]) > 16:
            raise ParquetFormatError(f"{path}: schema metadata {key!r} = {info[key]!r} is not a "
                                     "precision in 0..16")
        precisions.append(int(info[key]))
    if kind == BAR:
        try:
            parse_bar_type(info["bar_type"], info["instrument_id"])
        except ValueError as exc:
            raise ParquetFormatError(f"{path}: {exc}") from None
    return NautilusFile(path, kind, info["instrument_id"], *precisions, meta.num_rows,
                        info.get("bar_type"))


def iter_file_records(f: NautilusFile, price_precision: int, size_precision: int,
                      clock: StreamClock, *, level: BookLevel = BookLevel.L2,
                      orders: OrderSizes | None = None, allow_crossed: bool = False
                      ) -> Iterator[np.ndarray]:
    """Yields the file's records (instrument id 0) at the given precisions, in chunks; L3
    deltas need the stream's ``orders`` (a DELETE cancels the order's resting size)."""
    row0 = 0
    for batch in pq.ParquetFile(f.path).iter_batches(batch_size=BATCH_ROWS):
        yield _records(f, batch, row0, price_precision, size_precision, clock, level,
                       allow_crossed, orders)
        row0 += batch.num_rows


def _records(f: NautilusFile, batch: pa.RecordBatch, row0: int, pp: int, sp: int,
             clock: StreamClock, level: BookLevel, allow_crossed: bool,
             orders: OrderSizes | None) -> np.ndarray:
    cols = {name: batch.column(name) for name in (c.name for c in COLUMNS[f.kind])}
    for name, column in cols.items():
        if column.null_count:
            row = int(np.flatnonzero(pc.is_null(column).to_numpy(zero_copy_only=False))[0])
            raise ParquetDataError(f.path, row0 + row, name, None, "is null")
    values = {name: _fixed(f.path, row0, name, column, sp if name in SIZE_COLUMNS else pp)
              for name, column in cols.items() if pa.types.is_fixed_size_binary(column.type)}
    for name, raw in values.items():
        _fail_where(f.path, row0, name, raw, raw < 0, "must not be negative",
                    sp if name in SIZE_COLUMNS else pp)
    ts_event, ts_init = (_timestamps(f.path, row0, n, cols[n]) for n in ("ts_event", "ts_init"))
    clock.check(f.path, row0, ts_init)
    out = empty(_KINDS[f.kind], batch.num_rows)
    view = as_kind(out, _KINDS[f.kind])
    view["ts_event"], view["ts_init"], view["flags"] = ts_event, ts_init, RecordFlag.INPUT
    view["price_precision"], view["size_precision"] = pp, sp
    if f.kind == QUOTE:
        bid, ask = values["bid_price"], values["ask_price"]
        if not allow_crossed:
            _fail_where(f.path, row0, "bid_price", bid, bid > ask,
                        "crossed quote: bid > ask (pass allow_crossed=True to accept them)", pp)
        view["bid"], view["ask"] = bid, ask
        view["bid_size"], view["ask_size"] = values["bid_size"], values["ask_size"]
    elif f.kind == TRADE:
        side = _codes(f.path, row0, "aggressor_side", cols["aggressor_side"], 2)
        view["aggressor_side"], view["price"], view["size"] = side, values["price"], values["size"]
        view["trade_id"] = _trade_ids(cols["trade_id"])
    elif f.kind == BAR:
        _bar(f, row0, view, values, ts_event, pp)
    else:
        _delta(f, row0, view, values, cols, level, orders)
    return out


def _bar(f: NautilusFile, row0: int, view: np.ndarray, values: dict[str, np.ndarray],
         ts_event: np.ndarray, pp: int) -> None:
    o, h, low, c = (values[n] for n in ("open", "high", "low", "close"))
    _fail_where(f.path, row0, "high", h, h < np.maximum(o, c), "high is below max(open, close)",
                pp)
    _fail_where(f.path, row0, "low", low, low > np.minimum(o, c),
                "low is above min(open, close)", pp)
    step, aggregation, price_type = parse_bar_type(str(f.bar_type), f.instrument_id)
    view["aggregation"], view["price_type"], view["step"] = aggregation, price_type, step
    view["open"], view["high"], view["low"], view["close"] = o, h, low, c
    view["volume"] = values["volume"]
    view["ts_open"] = ts_event - bar_duration_ns(step, aggregation)


def _delta(f: NautilusFile, row0: int, view: np.ndarray, values: dict[str, np.ndarray],
           cols: dict[str, pa.Array], level: BookLevel, orders: OrderSizes | None) -> None:
    view["action"] = _FROM_ACTION[_codes(f.path, row0, "action", cols["action"], 4, low=1)]
    view["side"] = _codes(f.path, row0, "side", cols["side"], 2)
    view["level"] = level
    flags = cols["flags"].to_numpy(zero_copy_only=False)
    view["venue_flags"] = flags
    header = np.full(len(flags), int(RecordFlag.INPUT), np.uint16)
    for flag, bit in FLAG_BITS:
        header[(flags & bit) != 0] |= np.uint16(flag)
    view["flags"] = header
    view["price"], view["size"] = values["price"], values["size"]
    view["order_id"] = cols["order_id"].to_numpy(zero_copy_only=False)
    if level == BookLevel.L3:
        if orders is None:
            raise ValueError("L3 deltas are read with the stream's OrderSizes")
        view["size"] = orders.from_nautilus(view["action"], view["order_id"], view["size"])
    view["venue_sequence"] = cols["sequence"].to_numpy(zero_copy_only=False)


def _fixed(path: str, row0: int, name: str, column: pa.Array, precision: int) -> np.ndarray:
    try:
        return from_fixed(column, precision)
    except FixedPointError as exc:
        raise ParquetDataError(path, row0 + exc.row, name, exc.value, exc.why) from None


def _timestamps(path: str, row0: int, name: str, column: pa.Array) -> np.ndarray:
    ns = column.to_numpy(zero_copy_only=False)
    _fail_where(path, row0, name, ns, ns > _INT64_MAX, "is beyond int64 nanoseconds (2262)")
    return ns.astype(np.int64)


def _codes(path: str, row0: int, name: str, column: pa.Array, high: int, low: int = 0
           ) -> np.ndarray:
    codes = column.to_numpy(zero_copy_only=False)
    _fail_where(path, row0, name, codes, (codes < low) | (codes > high),
                f"is not a NautilusTrader code in {low}..{high}")
    return codes


def _fail_where(path: str, row0: int, name: str, values: np.ndarray, bad: np.ndarray,
                rule: str, precision: int | None = None) -> None:
    """Raises ParquetDataError for the first row where ``bad`` holds; a fixed-point value
    (``precision`` given) is shown as its decimal text."""
    hits = np.flatnonzero(bad)
    if hits.size:
        i = int(hits[0])
        value = values[i].item()
        shown = value if precision is None else str(Decimal(value).scaleb(-precision))
        raise ParquetDataError(path, row0 + i, name, shown, rule)


def _trade_ids(column: pa.Array) -> np.ndarray:
    out = np.empty(len(column), np.uint64)
    for i, text in enumerate(column.to_pylist()):
        if text.isascii() and text.isdigit() and int(text) < 2 ** 64:
            out[i] = int(text)
        else:
            out[i] = int.from_bytes(blake2b(text.encode("utf-8"), digest_size=8).digest(),
                                    "little")
    return out
