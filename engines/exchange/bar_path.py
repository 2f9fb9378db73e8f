"""Bar-driven execution: a bar series turned into the quote path the simulated exchange fills on.

Design contract (NautilusTrader's ``bar_execution`` is the reference):
- each bar becomes four price points, open -> high / low -> close; the extreme closer to the
  open comes first (adaptive; a tie goes high first). The points get deterministic
  sub-timestamps ``ts_open + k * (ts_event - ts_open) // 4`` (k = 0..3), so they sit inside the
  bar and before the BAR record itself, which follows at ``ts_event`` (the bar's close): the
  exchange has matched the whole bar before a strategy's ``on_bar`` sees it, as in
  NautilusTrader;
- a BID bar and an ASK bar of the same instrument and ``ts_event`` combine into one path of
  quotes (bid point k with ask point k, each side in its own adaptive order). A point where the
  bid is above the ask (the two series disagree, as real FX bars sometimes do) is kept as it
  is: a buy fills on the ask path, a sell on the bid path, each within its own bar. A bar with
  no partner (a single-sided series, or a LAST / MID bar) quotes its own side and the other at
  ``spread_raw`` from it (default 0): a buy fills on the ask path, a sell on the bid path, and
  no point is a price the bar did not trade on its side;
- the path's QUOTE records are INPUT records like the bars they come from: the replay loop
  publishes each one on its own (with the cascade it causes drained before the next), so a fill
  at the high and the contingent cancel it causes come before the low is seen;
- pure functions of the bars: same bars, same records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from domain.enums import PriceType, RecordFlag
from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind

_BAR = KIND_DTYPES[Kind.BAR]
_QUOTE = KIND_DTYPES[Kind.QUOTE]
_INPUT = int(RecordFlag.INPUT)
#: Quote size when a bar has no volume (FX bars): taken as nominal by the L1 exchange.
NOMINAL_SIZE_RAW = 10**12
#: Records per yielded chunk of :func:`bar_quote_stream` (a bar is five to six records; the
#: replay loop publishes a chunk's quiet runs in one claim, which must fit the ring).
CHUNK_RECORDS = 16_384


class BarPathError(ValueError):
    """Bars that cannot make a path (wrong kind, ts_open after ts_event)."""


def path_points(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Returns the (n, 4) price path of n bars: open, the nearer extreme, the other, close."""
    high_first = (h - o) <= (o - lo)
    second = np.where(high_first, h, lo)
    third = np.where(high_first, lo, h)
    return np.stack([o, second, third, c], axis=1)


def _sub_ts(bars: np.ndarray) -> np.ndarray:
    ts_open, ts_close = bars["ts_open"].astype(np.int64), bars["ts_event"].astype(np.int64)
    bad = np.flatnonzero(ts_open > ts_close)
    if len(bad):
        i = int(bad[0])
        raise BarPathError(f"bar {i}: ts_open {int(ts_open[i])} is after ts_event "
                           f"{int(ts_close[i])}")
    span = ts_close - ts_open
    return ts_open[:, None] + (np.arange(4, dtype=np.int64)[None, :] * span[:, None]) // 4


def bar_quotes(bars: np.ndarray, spread_raw: int = 0) -> np.ndarray:
    """Returns the bars (RECORD_DTYPE, kind BAR, any instruments, sorted by ``ts_init``) with
    their quote path inserted before each bar time, as one RECORD_DTYPE array sorted by
    ``ts_init`` (see the module contract)."""
    recs = np.ascontiguousarray(bars).view(RECORD_DTYPE)
    if len(recs) and not np.all(recs["kind"] == int(Kind.BAR)):
        i = int(np.flatnonzero(recs["kind"] != int(Kind.BAR))[0])
        raise BarPathError(f"record {i}: kind {int(recs['kind'][i])} is not BAR")
    b = recs.view(_BAR)
    ask_side = b["price_type"] == int(PriceType.ASK)
    bid_side = b["price_type"] == int(PriceType.BID)
    key = b["instrument_id"].astype(np.int64) << 40 ^ b["ts_event"].astype(np.int64)
    # pair each BID bar with the ASK bar of the same instrument and close time
    ask_idx = np.flatnonzero(ask_side)
    ask_of = dict(zip(key[ask_idx].tolist(), ask_idx.tolist(), strict=True))
    paired_ask = {i: ask_of[k] for i, k in zip(np.flatnonzero(bid_side).tolist(),
                                                 key[bid_side].tolist(), strict=True)
                  if k in ask_of}
    used_asks = set(paired_ask.values())
    leaders = [i for i in range(len(b)) if not (ask_side[i] and i in used_asks)]
    lead = b[leaders]
    pts = path_points(lead["open"], lead["high"], lead["low"], lead["close"])
    own_bid = np.isin(lead["price_type"], (int(PriceType.BID), int(PriceType.LAST),
                                           int(PriceType.MID)))
    bid = np.where(own_bid[:, None], pts, pts - spread_raw)
    ask = np.where(own_bid[:, None], pts + spread_raw, pts)
    rows = [row for row, i in enumerate(leaders) if i in paired_ask]
    if rows:
        a = b[[paired_ask[leaders[row]] for row in rows]]
        ask[rows] = path_points(a["open"], a["high"], a["low"], a["close"])
    n = len(lead)
    q = np.zeros((n, 4), dtype=_QUOTE)
    ts = _sub_ts(lead)
    q["ts_init"] = q["ts_event"] = ts
    q["kind"] = int(Kind.QUOTE)
    q["flags"] = _INPUT
    q["instrument_id"] = lead["instrument_id"][:, None]
    q["price_precision"] = lead["price_precision"][:, None]
    q["size_precision"] = lead["size_precision"][:, None]
    q["bid"], q["ask"] = bid, ask
    size = np.where(lead["volume"] > 0, lead["volume"], NOMINAL_SIZE_RAW)
    q["bid_size"] = q["ask_size"] = size[:, None]
    quotes = q.reshape(-1).view(RECORD_DTYPE)
    # bars first at a tie: bar t closes at the open of bar t + 1
    out = np.concatenate([recs, quotes])
    order = np.lexsort((np.r_[np.zeros(len(recs)), np.ones(len(quotes))], out["ts_init"]))
    return out[order]


def bar_quote_stream(chunks: Iterable[np.ndarray], spread_raw: int = 0) -> Iterator[np.ndarray]:
    """Yields :func:`bar_quotes` of a stream of BAR chunks (each sorted by ``ts_init``, the
    stream too) in chunks of at most :data:`CHUNK_RECORDS`; the bars of a chunk's last time
    wait for the next chunk, so a BID / ASK pair split between two chunks is still paired."""
    held = np.zeros(0, dtype=RECORD_DTYPE)
    for chunk in chunks:
        recs = np.ascontiguousarray(chunk).view(RECORD_DTYPE)
        if not len(recs):
            continue
        recs = np.concatenate([held, recs]) if len(held) else recs
        cut = int(np.searchsorted(recs["ts_init"], recs["ts_init"][-1], side="left"))
        held = recs[cut:].copy()
        if cut:
            yield from _slices(bar_quotes(recs[:cut], spread_raw))
    if len(held):
        yield from _slices(bar_quotes(held, spread_raw))


def _slices(records: np.ndarray, size: int = CHUNK_RECORDS) -> Iterator[np.ndarray]:
    for i in range(0, len(records), size):
        yield records[i : i + size]


__all__ = ["NOMINAL_SIZE_RAW", "BarPathError", "bar_quote_stream", "bar_quotes", "path_points"]
