"""Databento DBN files (plain or zstd) streamed into ringbus records.

Design contract:
- supported schemas: ``mbo`` -> BOOK_DELTA (L3), ``mbp-1`` and ``mbp-10`` -> QUOTE of the top
  level (preceded by a TRADE for each ``T`` record), ``trades`` -> TRADE, ``ohlcv-1s/1m/1h/1d/eod``
  -> BAR; any other schema fails with :class:`DbnFormatError`;
- ``ts_event`` is the venue's ``ts_event`` and ``ts_init`` is Databento's ``ts_recv`` (for bars,
  whose DBN timestamp is the open: ``ts_event = ts_init = open + interval``, ``ts_open = open``);
- header flags: INPUT always, plus LAST / SNAPSHOT / BAD_TS / MAYBE_BAD_BOOK from DBN flag bits
  0x80 / 0x20 / 0x08 / 0x04; the raw byte is kept in ``venue_flags`` (BOOK_DELTA);
- prices (DBN: int64 units of 1e-9) are rescaled to ``price_precision``; an undefined DBN price
  becomes ``NULL_I64``; a defined price not representable at that precision is an error;
- the file is read in 1 MiB pieces and yielded in arrays of at most ``chunk_records`` records;
- a corrupt or truncated file, an unexpected record type or a bad value raises before the chunk
  holding it is yielded, naming the file, the DBN record index (from 0), the field and the value.
  A plain (uncompressed) file cut exactly at a record boundary cannot be told from a short file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import databento_dbn as dbn
import numpy as np

from domain.enums import (
    AggressorSide,
    BarAggregation,
    BookAction,
    BookLevel,
    OrderSide,
    PriceType,
    RecordFlag,
)
from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
from domain.schema import NULL_I64
from replay.loaders.errors import LoaderError

_PIECE_BYTES = 1 << 20
_META_PIECE_BYTES = 1 << 14
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_HDR = [("length", "u1"), ("rtype", "u1"), ("publisher_id", "<u2"), ("instrument_id", "<u4"),
        ("ts_event", "<u8")]
_MBP_BASE = [*_HDR, ("price", "<i8"), ("size", "<u4"), ("action", "u1"), ("side", "u1"),
             ("flags", "u1"), ("depth", "u1"), ("ts_recv", "<u8"), ("ts_in_delta", "<i4"),
             ("sequence", "<u4")]
_LEVEL0 = [("bid_px", "<i8"), ("ask_px", "<i8"), ("bid_sz", "<u4"), ("ask_sz", "<u4"),
           ("bid_ct", "<u4"), ("ask_ct", "<u4")]
_MBO = np.dtype([*_HDR, ("order_id", "<u8"), ("price", "<i8"), ("size", "<u4"), ("flags", "u1"),
                 ("channel_id", "u1"), ("action", "u1"), ("side", "u1"), ("ts_recv", "<u8"),
                 ("ts_in_delta", "<i4"), ("sequence", "<u4")])
_MBP1 = np.dtype([*_MBP_BASE, *_LEVEL0])
_MBP10 = np.dtype([*_MBP_BASE, *_LEVEL0, ("deeper_levels", "V288")])
_TRADES = np.dtype(_MBP_BASE)
_OHLCV = np.dtype([*_HDR, ("open", "<i8"), ("high", "<i8"), ("low", "<i8"), ("close", "<i8"),
                   ("volume", "<u8")])

_ACTIONS = np.zeros(256, np.uint8)
for _char, _action in zip("AMCRTF", BookAction, strict=True):
    _ACTIONS[ord(_char)] = _action
_SIDES = np.full(256, 255, np.uint8)
_SIDES[ord("B")], _SIDES[ord("A")], _SIDES[ord("N")] = OrderSide.BUY, OrderSide.SELL, 0
_AGGRESSORS = np.full(256, 255, np.uint8)
_AGGRESSORS[ord("B")], _AGGRESSORS[ord("A")] = AggressorSide.BUYER, AggressorSide.SELLER
_AGGRESSORS[ord("N")] = AggressorSide.NO_AGGRESSOR
_BAR_RTYPES = {  # rtype -> (aggregation, interval ns)
    32: (BarAggregation.SECOND, 1_000_000_000),
    33: (BarAggregation.MINUTE, 60_000_000_000),
    34: (BarAggregation.HOUR, 3_600_000_000_000),
    35: (BarAggregation.DAY, 86_400_000_000_000),
    36: (BarAggregation.DAY, 86_400_000_000_000),
}
_UNDEF_TS = 2**64 - 1


class DbnError(LoaderError):
    """A DBN file could not be loaded; ``path`` and ``index`` (DBN record, from 0) locate it."""

    def __init__(self, path: str, index: int, message: str) -> None:
        super().__init__(f"{path}: record {index}: {message}")
        self.path, self.index = path, index


class DbnFormatError(DbnError):
    """The file is truncated, corrupt, of an unsupported schema or holds an unexpected record."""


class DbnDataError(DbnError):
    """A record holds a bad value; ``field`` and ``value`` name it."""

    def __init__(self, path: str, index: int, field: str, value: object, rule: str) -> None:
        super().__init__(path, index, f"field {field!r} = {value!r}: {rule}")
        self.field, self.value = field, value


@attrs.frozen
class DbnMetadata:
    """The header of a DBN file. ``end_ns`` is None when open-ended."""

    path: str
    version: int
    dataset: str
    schema: str
    start_ns: int
    end_ns: int | None
    stype_in: str
    stype_out: str
    symbols: tuple[str, ...]
    #: (symbol, venue instrument id) pairs from the symbology mappings, sorted.
    instrument_ids: tuple[tuple[str, int], ...]


def _metadata(path: str, meta: dbn.Metadata) -> DbnMetadata:
    pairs: set[tuple[str, int]] = set()
    for symbol, intervals in meta.mappings.items():
        for interval in intervals:
            mapped = str(interval["symbol"])
            if mapped.isdigit():
                pairs.add((symbol, int(mapped)))
    return DbnMetadata(
        path=path, version=int(meta.version), dataset=str(meta.dataset), schema=str(meta.schema),
        start_ns=int(meta.start), end_ns=None if meta.end in (None, _UNDEF_TS) else int(meta.end),
        stype_in=str(meta.stype_in), stype_out=str(meta.stype_out),
        symbols=tuple(meta.symbols), instrument_ids=tuple(sorted(pairs)),
    )


_SCHEMAS: dict[str, tuple[np.dtype, type]] = {
    "mbo": (_MBO, dbn.MBOMsg),
    "mbp-1": (_MBP1, dbn.MBP1Msg),
    "mbp-10": (_MBP10, dbn.MBP10Msg),
    "trades": (_TRADES, dbn.TradeMsg),
    **{s: (_OHLCV, dbn.OHLCVMsg) for s in ("ohlcv-1s", "ohlcv-1m", "ohlcv-1h", "ohlcv-1d",
                                           "ohlcv-eod")},
}


def _decoder(first_piece: bytes) -> dbn.DBNDecoder:
    zstd = first_piece.startswith(_ZSTD_MAGIC)
    return dbn.DBNDecoder(compression=dbn.Compression.ZSTD if zstd else dbn.Compression.NONE)


def _raw_chunks(path: str, chunk: int) -> Iterator[tuple[DbnMetadata, int, np.ndarray]]:
    """Yields (metadata, index of the first record, raw records) with at most ``chunk`` records."""
    meta: DbnMetadata | None = None
    raw_dtype, msg_type = _MBO, dbn.MBOMsg
    pending = bytearray()  # raw records decoded but not yet yielded
    index = 0  # DBN index of the first pending record
    with open(path, "rb") as f:
        piece = f.read(_PIECE_BYTES)
        decoder = _decoder(piece)
        while piece:
            n_pending = len(pending) // raw_dtype.itemsize
            try:
                decoder.write(piece)
                objs = decoder.decode()
            except Exception as exc:  # the binding raises plain RuntimeError/ValueError
                raise DbnFormatError(path, index + n_pending, f"corrupt DBN data: {exc}") from exc
            if objs and meta is None:
                meta = _check_metadata(path, objs[0])
                raw_dtype, msg_type = _SCHEMAS[meta.schema]
                objs = objs[1:]
            if set(map(type, objs)) - {msg_type}:
                j = next(j for j, obj in enumerate(objs) if type(obj) is not msg_type)
                raise DbnFormatError(path, index + n_pending + j, f"unexpected record type "
                                     f"{type(objs[j]).__name__} in a {meta.schema} file")
            pending += b"".join(map(bytes, objs))
            step = chunk * raw_dtype.itemsize
            while len(pending) >= step:
                yield meta, index, np.frombuffer(bytes(pending[:step]), raw_dtype)
                del pending[:step]
                index += chunk
            piece = f.read(_PIECE_BYTES)
    if meta is None:
        raise DbnFormatError(path, 0, "no DBN metadata: empty or truncated file")
    leftover = len(decoder.buffer())
    if leftover:
        raise DbnFormatError(path, index + len(pending) // raw_dtype.itemsize,
                             f"truncated file: {leftover} bytes of an incomplete record at the end")
    if pending:
        yield meta, index, np.frombuffer(bytes(pending), raw_dtype)


def _check_metadata(path: str, obj: object) -> DbnMetadata:
    if not isinstance(obj, dbn.Metadata):
        raise DbnFormatError(path, 0, "file does not start with DBN metadata")
    meta = _metadata(path, obj)
    if meta.schema not in _SCHEMAS:
        raise DbnFormatError(path, 0, f"schema {meta.schema!r} is not supported; "
                             f"supported: {sorted(_SCHEMAS)}")
    return meta


def read_dbn_metadata(path: str | Path) -> DbnMetadata:
    """Returns the file's metadata, reading only as far as the metadata ends."""
    path = str(path)
    with open(path, "rb") as f:
        piece = f.read(_META_PIECE_BYTES)
        decoder = _decoder(piece)
        while piece:
            try:
                decoder.write(piece)
                objs = decoder.decode()
            except Exception as exc:
                raise DbnFormatError(path, 0, f"corrupt DBN metadata: {exc}") from exc
            if objs:
                return _check_metadata(path, objs[0])
            piece = f.read(_META_PIECE_BYTES)
    raise DbnFormatError(path, 0, "no DBN metadata: empty or truncated file")


def _price_columns(raw: np.ndarray) -> list[str]:
    if raw.dtype == _OHLCV:
        return ["open", "high", "low", "close"]
    return ["price", "bid_px", "ask_px"] if "bid_px" in raw.dtype.names else ["price"]


def _min_precision(raw: np.ndarray) -> int:
    """Returns the fewest decimals (0..9) that represent every defined price in ``raw`` exactly."""
    prices = np.concatenate([raw[c] for c in _price_columns(raw)])
    prices = prices[prices != dbn.UNDEF_PRICE]
    for precision in range(10):
        if not np.any(prices % 10 ** (9 - precision)):
            return precision
    return 9


def scan_price_precision(path: str | Path) -> int:
    """Reads the whole file and returns the fewest decimals that represent all its prices."""
    return max((_min_precision(raw) for _, _, raw in _raw_chunks(str(path), 1 << 16)), default=0)


def _scale(path: str, start: int, raw: np.ndarray, field: str, precision: int) -> np.ndarray:
    prices = raw[field]
    undefined = prices == dbn.UNDEF_PRICE
    factor = 10 ** (9 - precision)
    bad = np.flatnonzero((prices % factor != 0) & ~undefined)
    if bad.size:
        raise DbnDataError(path, start + int(bad[0]), field, int(prices[bad[0]]),
                           f"not representable with price_precision {precision} (1e-9 units); "
                           "pass a larger price_precision or use scan_price_precision()")
    return np.where(undefined, NULL_I64, prices // factor)


def _check(path: str, start: int, bad: np.ndarray, raw: np.ndarray, field: str, rule: str) -> None:
    """Raises DbnDataError for the first record where ``bad`` holds."""
    hits = np.flatnonzero(bad)
    if hits.size:
        value = raw[field][hits[0]].item()
        raise DbnDataError(path, start + int(hits[0]), field,
                           chr(value) if field in ("action", "side") else value, rule)


def _header(kind: Kind, n: int, ts_event: np.ndarray, ts_init: np.ndarray,
            dbn_flags: np.ndarray | None, source: int) -> tuple[np.ndarray, np.ndarray]:
    out = np.zeros(n, RECORD_DTYPE)
    view = out.view(KIND_DTYPES[kind])
    view["kind"] = kind
    view["source"] = source
    view["ts_event"] = ts_event
    view["ts_init"] = ts_init
    flags = np.full(n, RecordFlag.INPUT, np.uint16)
    if dbn_flags is not None:
        for bit, flag in ((0x80, RecordFlag.LAST), (0x20, RecordFlag.SNAPSHOT),
                          (0x08, RecordFlag.BAD_TS), (0x04, RecordFlag.MAYBE_BAD_BOOK)):
            flags |= np.where(dbn_flags & bit, np.uint16(flag), np.uint16(0))
    view["flags"] = flags
    return out, view


def _convert_mbo(path: str, start: int, raw: np.ndarray, iid: int, prec: int, source: int
                 ) -> np.ndarray:
    actions, sides = _ACTIONS[raw["action"]], _SIDES[raw["side"]]
    _check(path, start, actions == 0, raw, "action", "unknown MBO action (expected A/M/C/R/T/F)")
    _check(path, start, sides == 255, raw, "side", "unknown side (expected B/A/N)")
    adds = actions == BookAction.ADD
    _check(path, start, adds & (raw["size"] == 0), raw, "size", "an ADD must have a positive size")
    _check(path, start, adds & (raw["price"] == dbn.UNDEF_PRICE), raw, "price",
           "an ADD must have a defined price")
    _check(path, start, adds & (sides == 0), raw, "side", "an ADD must have side B or A")
    price = _scale(path, start, raw, "price", prec)
    out, v = _header(Kind.BOOK_DELTA, raw.size, raw["ts_event"], raw["ts_recv"], raw["flags"],
                     source)
    v["instrument_id"], v["price_precision"], v["size_precision"] = iid, prec, 0
    v["action"], v["side"], v["level"], v["venue_flags"] = actions, sides, BookLevel.L3, raw["flags"]
    v["price"], v["size"], v["order_id"], v["venue_sequence"] = (
        price, raw["size"], raw["order_id"], raw["sequence"])
    return out


def _convert_mbp(path: str, start: int, raw: np.ndarray, iid: int, prec: int, source: int
                 ) -> np.ndarray:
    aggressors = _AGGRESSORS[raw["side"]]
    _check(path, start, aggressors == 255, raw, "side", "unknown side (expected B/A/N)")
    trades = raw["action"] == ord("T")
    # each T record becomes a TRADE followed by its QUOTE; others become one QUOTE
    quote_pos = np.arange(raw.size) + np.cumsum(trades)
    out = np.zeros(raw.size + int(trades.sum()), RECORD_DTYPE)
    quotes, q = _header(Kind.QUOTE, raw.size, raw["ts_event"], raw["ts_recv"], raw["flags"], source)
    q["instrument_id"], q["price_precision"], q["size_precision"] = iid, prec, 0
    q["bid"], q["ask"] = _scale(path, start, raw, "bid_px", prec), _scale(path, start, raw,
                                                                          "ask_px", prec)
    q["bid_size"], q["ask_size"] = raw["bid_sz"], raw["ask_sz"]
    out[quote_pos] = quotes
    if trades.any():
        out[quote_pos[trades] - 1] = _trades(path, start, raw, iid, prec, source, trades)
    return out


def _trades(path: str, start: int, raw: np.ndarray, iid: int, prec: int, source: int,
            mask: np.ndarray | None = None) -> np.ndarray:
    aggressors = _AGGRESSORS[raw["side"]]
    _check(path, start, aggressors == 255, raw, "side", "unknown side (expected B/A/N)")
    price = _scale(path, start, raw, "price", prec)
    if mask is not None:
        raw, aggressors, price = raw[mask], aggressors[mask], price[mask]
    out, t = _header(Kind.TRADE, raw.size, raw["ts_event"], raw["ts_recv"], raw["flags"], source)
    t["instrument_id"], t["price_precision"], t["size_precision"] = iid, prec, 0
    t["aggressor_side"], t["price"], t["size"] = aggressors, price, raw["size"]
    t["trade_id"] = raw["sequence"]
    return out


def _convert_ohlcv(path: str, start: int, raw: np.ndarray, iid: int, prec: int, source: int
                   ) -> np.ndarray:
    rtypes = raw["rtype"]
    known = np.isin(rtypes, list(_BAR_RTYPES))
    _check(path, start, ~known, raw, "rtype", f"not an OHLCV rtype {sorted(_BAR_RTYPES)}")
    _check(path, start, raw["volume"] > np.iinfo(np.int64).max, raw, "volume", "overflows int64")
    interval = np.zeros(raw.size, np.int64)
    aggregation = np.zeros(raw.size, np.uint8)
    for rtype, (agg, ns) in _BAR_RTYPES.items():
        interval[rtypes == rtype], aggregation[rtypes == rtype] = ns, agg
    close_ns = raw["ts_event"].astype(np.int64) + interval
    out, b = _header(Kind.BAR, raw.size, close_ns, close_ns, None, source)
    b["instrument_id"], b["price_precision"], b["size_precision"] = iid, prec, 0
    b["aggregation"], b["price_type"], b["step"] = aggregation, PriceType.LAST, 1
    for field in ("open", "high", "low", "close"):
        b[field] = _scale(path, start, raw, field, prec)
    b["volume"], b["ts_open"] = raw["volume"], raw["ts_event"]
    return out


_CONVERTERS = {"mbo": _convert_mbo, "mbp-1": _convert_mbp, "mbp-10": _convert_mbp,
               "trades": _trades}


def _check_precision(price_precision: int) -> None:
    if not 0 <= price_precision <= 9:
        raise ValueError(f"price_precision must be in 0..9, got {price_precision}")


def iter_dbn(path: str | Path, instrument_id: int, *, price_precision: int | None = None,
             chunk_records: int = 65_536, source: int = 0) -> Iterator[np.ndarray]:
    """Yields RECORD_DTYPE arrays of at most ``chunk_records`` INPUT records, in file order.

    ``instrument_id`` is the interned id stamped on every record. Without ``price_precision`` it
    is derived from the first chunk (the fewest decimals representing its prices exactly); a later
    price that needs more raises :class:`DbnDataError` (see :func:`scan_price_precision`).
    """
    if chunk_records < 2:
        raise ValueError(f"chunk_records must be >= 2, got {chunk_records}")
    if price_precision is not None:
        _check_precision(price_precision)
    path = str(path)
    schema = read_dbn_metadata(path).schema
    # an MBP record may become two records (TRADE + QUOTE): halve the raw chunk to keep the bound
    raw_chunk = chunk_records // 2 if schema.startswith("mbp") else chunk_records
    for meta, start, raw in _raw_chunks(path, raw_chunk):
        if price_precision is None:
            price_precision = _min_precision(raw)
        convert = _CONVERTERS.get(meta.schema, _convert_ohlcv)
        yield convert(path, start, raw, instrument_id, price_precision, source)


def load_dbn(path: str | Path, instrument_id: int, *, price_precision: int | None = None,
             source: int = 0) -> np.ndarray:
    """Loads a whole file into one RECORD_DTYPE array (one pass); without ``price_precision``
    it is the fewest decimals that represent every price of the file exactly."""
    path = str(path)
    raws = list(_raw_chunks(path, 1 << 16))
    if not raws:
        return np.zeros(0, RECORD_DTYPE)
    if price_precision is None:
        price_precision = max(_min_precision(raw) for _, _, raw in raws)
    _check_precision(price_precision)
    convert = _CONVERTERS.get(raws[0][0].schema, _convert_ohlcv)
    return np.concatenate([convert(path, start, raw, instrument_id, price_precision, source)
                           for _, start, raw in raws])
