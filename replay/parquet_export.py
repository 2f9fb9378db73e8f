"""``ringbus export --parquet``: INPUT market data written in NautilusTrader's catalog layout.

Design contract:
- the source is a ringbus catalog (every instrument, or ``instrument``) or one journal (its
  market-data INPUT records); records stream through in chunks, each (type, instrument or bar
  type) into one file ``data/<type>/<id>/<start>_<end>.parquet`` of :mod:`replay.parquet_layout`
  (written under a temporary name, renamed when complete; a directory that already holds files
  is refused, so NautilusTrader's disjoint-intervals rule holds);
- QUOTE -> quote_tick, TRADE -> trade_tick (``trade_id`` as its decimal text), BAR -> bar (one
  file per step / aggregation / price type; a bar whose ``ts_open`` is not its close minus its
  duration is refused: NautilusTrader keeps no open time), BOOK_DELTA -> order_book_delta (ADD,
  MODIFY -> UPDATE, CANCEL -> DELETE (a partial L3 cancel -> UPDATE to the size left:
  :mod:`replay.parquet_orders`), CLEAR; ``flags`` = ``venue_flags`` plus the header's
  LAST / SNAPSHOT / BAD_TS / MAYBE_BAD_BOOK bits as Databento's 128 / 32 / 8 / 4);
- TRADE, FILL and NONE book deltas (order-flow reports) have no order_book_delta action: they
  are not written and are counted in :attr:`ExportResult.skipped`;
- prices and sizes convert exactly (:func:`~replay.parquet_layout.to_fixed`); one file holds
  one precision pair, as NautilusTrader's metadata does (a change of precision is refused).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from domain.codec import as_kind
from domain.enums import BookAction, BookLevel
from domain.kinds import Kind
from replay.parquet_layout import (
    BAR,
    DELTA,
    DELTA_ACTIONS,
    FLAG_BITS,
    QUOTE,
    ROWS_PER_GROUP,
    TRADE,
    bar_duration_ns,
    bar_type,
    file_name,
    schema,
    to_fixed,
    urisafe,
)
from replay.parquet_orders import OrderSizes


@attrs.frozen
class ExportedFile:
    path: str
    kind: str
    identifier: str
    rows: int


@attrs.frozen
class ExportResult:
    """The files written and, per instrument, the records not written (with why)."""

    files: tuple[ExportedFile, ...]
    skipped: dict[str, int]


class _Writer:
    """One output file: written under a temporary name, renamed to its interval on close."""

    def __init__(self, directory: Path, kind: str, identifier: str, metadata: dict[str, str],
                 pp: int, sp: int) -> None:
        if directory.is_dir() and any(directory.glob("*.parquet")):
            raise ValueError(f"{directory}: already holds NautilusTrader data files; export into "
                             "a new directory")
        directory.mkdir(parents=True, exist_ok=True)
        self.directory, self.kind, self.identifier, self.pp, self.sp = (directory, kind,
                                                                        identifier, pp, sp)
        self.schema = schema(kind, {**metadata, "price_precision": str(pp),
                                    "size_precision": str(sp)})
        self.tmp = directory / f".export-{os.getpid()}.parquet.tmp"
        self.writer = pq.ParquetWriter(self.tmp, self.schema)
        self.first, self.last, self.rows = -1, -1, 0

    def write(self, view: np.ndarray, columns: dict[str, pa.Array]) -> None:
        pp, sp = np.unique(view["price_precision"]), np.unique(view["size_precision"])
        if pp.tolist() != [self.pp] or sp.tolist() != [self.sp]:
            raise ValueError(f"{self.identifier}: {self.kind} records change precision "
                             f"({self.pp}/{self.sp} to {pp.tolist()}/{sp.tolist()}); a "
                             "NautilusTrader file holds one precision")
        columns["ts_event"] = pa.array(view["ts_event"].astype(np.uint64))
        columns["ts_init"] = pa.array(view["ts_init"].astype(np.uint64))
        self.writer.write_table(pa.table(columns, schema=self.schema),
                                row_group_size=ROWS_PER_GROUP)
        self.first = int(view["ts_init"][0]) if self.first < 0 else self.first
        self.last, self.rows = int(view["ts_init"][-1]), self.rows + len(view)

    def discard(self) -> None:
        self.writer.close()
        self.tmp.unlink(missing_ok=True)

    def close(self) -> ExportedFile:
        self.writer.close()
        final = self.directory / file_name(self.first, self.last)
        os.replace(self.tmp, final)
        return ExportedFile(str(final), self.kind, self.identifier, self.rows)


def _instrument_streams(source: Path, instrument: str | None
                        ) -> Iterator[tuple[str, Iterator[np.ndarray]]]:
    from replay.catalog import is_catalog, read_catalog
    from replay.catalog_source import iter_catalog_records

    if is_catalog(source):
        entries = read_catalog(source)
        held = [e.symbol for e in entries]
        if instrument is not None and instrument not in held:
            raise ValueError(f"{source}: the catalog holds no {instrument!r}; it holds {held}")
        for e in entries:
            if instrument in (None, e.symbol):
                yield e.symbol, iter_catalog_records(source / e.dir)
        return
    from replay.journal_source import is_journal, iter_journal_market_data, journal_instruments

    if not is_journal(source):
        raise ValueError(f"{source}: neither a ringbus catalog (catalog.json) nor a journal")
    ids = journal_instruments(str(source))
    if instrument is not None and instrument not in ids:
        raise ValueError(f"{source}: the journal holds no market data of {instrument!r}; it "
                         f"holds {sorted(ids)}")
    for symbol, iid in ids.items():
        if instrument in (None, symbol):
            yield symbol, iter_journal_market_data(str(source), iid)


def export_parquet(source: str | Path, out_dir: str | Path, *, instrument: str | None = None
                   ) -> ExportResult:
    """Writes the market data of ``source`` under ``out_dir`` (see the module contract)."""
    root = Path(out_dir)
    files: list[ExportedFile] = []
    skipped: dict[str, int] = {}
    for symbol, chunks in _instrument_streams(Path(source), instrument):
        writers: dict[tuple[str, str], _Writer] = {}
        orders = OrderSizes()
        try:
            for chunk in chunks:
                n = _export_chunk(root, symbol, chunk, writers, orders)
                if n:
                    skipped[symbol] = skipped.get(symbol, 0) + n
        except BaseException:
            for w in writers.values():
                w.discard()
            raise
        files.extend(w.close() for w in writers.values())
    return ExportResult(tuple(files), skipped)


def _export_chunk(root: Path, symbol: str, chunk: np.ndarray,
                  writers: dict[tuple[str, str], _Writer], orders: OrderSizes) -> int:
    """Writes one chunk's records; returns how many it could not write (order-flow reports)."""
    kinds = chunk["kind"]
    skipped = 0
    for kind, name in ((Kind.QUOTE, QUOTE), (Kind.TRADE, TRADE), (Kind.BAR, BAR),
                       (Kind.BOOK_DELTA, DELTA)):
        view = as_kind(chunk[kinds == kind], kind)
        if not len(view):
            continue
        if kind == Kind.BAR:
            key = (view["step"].astype(np.uint64) << np.uint64(16)) \
                | (view["aggregation"].astype(np.uint64) << np.uint64(8)) | view["price_type"]
            for spec in np.unique(key).tolist():
                bars = view[key == spec]
                text = bar_type(symbol, spec >> 16, (spec >> 8) & 0xFF, spec & 0xFF)
                _write(root, name, text, {"bar_type": text, "instrument_id": symbol}, bars,
                       _bar_columns(symbol, bars), writers)
            continue
        if kind == Kind.BOOK_DELTA:
            mapped = np.isin(view["action"], list(DELTA_ACTIONS))
            skipped += int((~mapped).sum())
            view = view[mapped]
            if not len(view):
                continue
        columns = _delta_columns(view, orders) if kind == Kind.BOOK_DELTA else \
            {Kind.QUOTE: _quote_columns, Kind.TRADE: _trade_columns}[kind](view)
        _write(root, name, symbol, {"instrument_id": symbol}, view, columns, writers)
    return skipped


def _write(root: Path, kind: str, identifier: str, metadata: dict[str, str], view: np.ndarray,
           columns: dict[str, pa.Array], writers: dict[tuple[str, str], _Writer]) -> None:
    writer = writers.get((kind, identifier))
    if writer is None:
        writer = writers[(kind, identifier)] = _Writer(
            root / "data" / kind / urisafe(identifier), kind, identifier, metadata,
            int(view["price_precision"][0]), int(view["size_precision"][0]))
    writer.write(view, columns)


def _fixed(view: np.ndarray, pairs: tuple[tuple[str, str, str], ...]) -> dict[str, pa.Array]:
    return {out: to_fixed(view[field], int(view[prec][0])) for out, field, prec in pairs}


def _quote_columns(view: np.ndarray) -> dict[str, pa.Array]:
    return _fixed(view, (("bid_price", "bid", "price_precision"),
                         ("ask_price", "ask", "price_precision"),
                         ("bid_size", "bid_size", "size_precision"),
                         ("ask_size", "ask_size", "size_precision")))


def _trade_columns(view: np.ndarray) -> dict[str, pa.Array]:
    return {**_fixed(view, (("price", "price", "price_precision"),
                            ("size", "size", "size_precision"))),
            "aggressor_side": pa.array(view["aggressor_side"]),
            "trade_id": pa.array(view["trade_id"].astype(str))}


def _bar_columns(symbol: str, view: np.ndarray) -> dict[str, pa.Array]:
    duration = bar_duration_ns(int(view["step"][0]), int(view["aggregation"][0]))
    bad = np.flatnonzero(view["ts_open"] != view["ts_event"] - duration)
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{symbol}: the bar closing at {int(view['ts_event'][i])} ns opens at "
                         f"{int(view['ts_open'][i])} ns, not its close minus its duration "
                         f"({duration} ns): NautilusTrader's bar keeps no open time")
    return _fixed(view, tuple((n, n, "size_precision" if n == "volume" else "price_precision")
                              for n in ("open", "high", "low", "close", "volume")))


def _delta_columns(view: np.ndarray, orders: OrderSizes) -> dict[str, pa.Array]:
    flags = view["venue_flags"].astype(np.uint8)
    for flag, bit in FLAG_BITS:
        flags[(view["flags"] & int(flag)) != 0] |= np.uint8(bit)
    action = np.zeros(len(view), np.uint8)
    for ours, theirs in DELTA_ACTIONS.items():
        action[view["action"] == ours] = theirs
    size = view["size"].copy()
    l3 = np.flatnonzero(view["level"] == BookLevel.L3)
    if l3.size:  # a partial L3 cancel is NautilusTrader's UPDATE to the size left
        update, size[l3] = orders.to_nautilus(view["action"][l3], view["order_id"][l3],
                                              view["size"][l3])
        action[l3[update]] = DELTA_ACTIONS[BookAction.MODIFY]
    return {"action": pa.array(action), "side": pa.array(view["side"]),
            "price": to_fixed(view["price"], int(view["price_precision"][0])),
            "size": to_fixed(size, int(view["size_precision"][0])),
            "order_id": pa.array(view["order_id"]), "flags": pa.array(flags),
            "sequence": pa.array(view["venue_sequence"])}
