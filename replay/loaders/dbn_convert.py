"""Raw DBN records (numpy views of the decoder's bytes) converted to ringbus records in bulk.

Design contract:
- ``mbo`` -> BOOK_DELTA (L3; action ``N`` becomes a NONE delta that changes nothing); ``mbp-1`` / ``mbp-10`` -> QUOTE of the top level, preceded by a
  TRADE for each ``T`` record; ``trades`` -> TRADE; ``ohlcv-*`` -> BAR (``ts_event = ts_init =
  open + interval``, ``ts_open = open``); ``ts_init`` is Databento's ``ts_recv``;
- header flags: INPUT, plus LAST / SNAPSHOT / BAD_TS / MAYBE_BAD_BOOK from DBN flag bits
  0x80 / 0x20 / 0x08 / 0x04;
- prices (int64 units of 1e-9) are rescaled to the precision; undefined ones become ``NULL_I64``;
- columns are converted with numpy, never record by record; a bad value raises
  :class:`DbnDataError` (first bad record, field, value) before anything is returned.

The file reading and the public API are :mod:`replay.loaders.dbn`.
"""

from __future__ import annotations

import databento_dbn as dbn
import numpy as np

from domain.enums import (
    AggressorSide,
    BarAggregation,
    BookAction,
    OrderSide,
    PriceType,
    RecordFlag,
)
from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
from domain.schema import NULL_I64
from replay.loaders.dbn_errors import DbnDataError
from replay.loaders.dbn_mbo import fill_mbo

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
for _char, _action in zip("AMCRTFN", BookAction, strict=True):
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

#: schema -> the numpy dtype of its raw DBN records (as the decoder hands them over)
RAW_DTYPES: dict[str, np.dtype] = {
    "mbo": _MBO, "mbp-1": _MBP1, "mbp-10": _MBP10, "trades": _TRADES,
    **{s: _OHLCV for s in ("ohlcv-1s", "ohlcv-1m", "ohlcv-1h", "ohlcv-1d", "ohlcv-eod")},
}


def _price_columns(raw: np.ndarray) -> list[str]:
    if raw.dtype == _OHLCV:
        return ["open", "high", "low", "close"]
    return ["price", "bid_px", "ask_px"] if "bid_px" in raw.dtype.names else ["price"]


def min_precision(raw: np.ndarray) -> int:
    """Returns the fewest decimals (0..9) that represent every defined price in ``raw`` exactly."""
    prices = np.concatenate([raw[c] for c in _price_columns(raw)])
    prices = prices[prices != dbn.UNDEF_PRICE]
    for precision in range(10):
        if not np.any(prices % 10 ** (9 - precision)):
            return precision
    return 9


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


def _explain_mbo(path: str, start: int, raw: np.ndarray, prec: int) -> None:
    """Raises DbnDataError for the first bad record of ``raw`` (the first at index ``start``)."""
    actions, sides = _ACTIONS[raw["action"]], _SIDES[raw["side"]]
    _check(path, start, actions == 0, raw, "action", "unknown MBO action (expected A/M/C/R/T/F/N)")
    _check(path, start, sides == 255, raw, "side", "unknown side (expected B/A/N)")
    adds = actions == BookAction.ADD
    _check(path, start, adds & (raw["size"] == 0), raw, "size", "an ADD must have a positive size")
    _check(path, start, adds & (raw["price"] == dbn.UNDEF_PRICE), raw, "price",
           "an ADD must have a defined price")
    _check(path, start, adds & (sides == 0), raw, "side", "an ADD must have side B or A")
    _scale(path, start, raw, "price", prec)


def _convert_mbo(path: str, start: int, raw: np.ndarray, iid: int, prec: int, source: int
                 ) -> np.ndarray:
    out, bad = fill_mbo(raw, _ACTIONS, _SIDES, iid, prec, source)
    if bad >= 0:
        _explain_mbo(path, start + bad, raw[bad:bad + 1], prec)
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


def convert_raw(schema: str, path: str, start: int, raw: np.ndarray, instrument_id: int,
                price_precision: int, source: int) -> np.ndarray:
    """Returns the RECORD_DTYPE records of the raw DBN records ``raw`` of ``schema`` (the first
    at DBN index ``start``); raises :class:`DbnDataError` naming the first bad record."""
    convert = _CONVERTERS.get(schema, _convert_ohlcv)
    return convert(path, start, raw, instrument_id, price_precision, source)
