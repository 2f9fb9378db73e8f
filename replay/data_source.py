"""A backtest data source and the instrument it belongs to, shared by every way data is opened.

Design contract: :class:`DataSource` is one stream of market-data record chunks (a data file,
a catalog instrument, a journal's market data or records made in Python) with its
:class:`~domain.instruments.Instrument`; :func:`make_instrument` builds that instrument from a
symbol, the data's format and precisions and the configured instrument fields (which win).
The openers (:mod:`replay.backtest_data`, :mod:`replay.catalog_source`,
:mod:`replay.journal_source`) import this module; it imports none of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import attrs
import numpy as np

from domain.enums import BookLevel
from domain.instruments import Instrument
from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
from replay.config import InstrumentConfig

#: Futures roots with a tick and multiplier other than one price unit.
FUTURE_ROOTS = {"ES": ("0.25", 50), "MES": ("0.25", 5), "NQ": ("0.25", 20), "MNQ": ("0.25", 2)}
_IID_VIEW = np.dtype({"names": ["instrument_id"], "formats": ["<u4"], "offsets": [40],
                      "itemsize": 128})


class UnknownInstrumentError(ValueError):
    """A data file's instrument is not among the configured instruments."""


@attrs.define
class DataSource:
    """One data file opened for streaming, with the instrument its records belong to."""

    path: str
    format: str
    symbol: str
    instrument: Instrument
    book_level: BookLevel
    inferred: bool
    _first: np.ndarray
    _rest: Iterator[np.ndarray]

    @classmethod
    def from_records(cls, instrument: Instrument, chunks: Iterable[np.ndarray],
                     book_level: BookLevel = BookLevel.L1, name: str = "<records>") -> DataSource:
        """Returns a source over record arrays made in Python (e.g. a benchmark's synthetic
        quotes), each sorted by ``ts_init``; their instrument ids are restamped when run."""
        stream = iter(chunks)
        first = next(stream, None)
        if first is None or not len(first):
            raise ValueError(f"{name}: the data holds no records")
        return cls(name, "records", str(instrument.id), instrument, book_level, False,
                   np.ascontiguousarray(first).view(RECORD_DTYPE), stream)

    @property
    def first_ts_init(self) -> int:
        return int(self._first["ts_init"][0]) if len(self._first) else 0

    @property
    def first_path_ts(self) -> int:
        """When the first input is run: a bar's quote path starts at its ``ts_open``
        (:mod:`engines.exchange.bar_path`), anything else at its ``ts_init``."""
        if len(self._first) and int(self._first["kind"][0]) == Kind.BAR:
            return int(self._first[:1].view(KIND_DTYPES[Kind.BAR])["ts_open"][0])
        return self.first_ts_init

    def chunks(self, instrument_id: int) -> Iterator[np.ndarray]:
        """Yields the file's records in chunks, stamped with ``instrument_id``."""
        yield _stamp(self._first, instrument_id)
        for chunk in self._rest:
            yield _stamp(chunk, instrument_id)


def _stamp(chunk: np.ndarray, instrument_id: int) -> np.ndarray:
    if not chunk.flags.writeable:
        chunk = chunk.copy()
    chunk.view(_IID_VIEW)["instrument_id"] = instrument_id
    return chunk


def make_instrument(symbol: str, fmt: str, pp: int, sp: int,
                     icfg: InstrumentConfig | None) -> Instrument:
    kw: dict[str, Any] = {}
    if icfg is not None:
        kw = {k: v for k in ("maker_fee", "taker_fee") if (v := getattr(icfg, k)) is not None}
        if icfg.margin_init:
            kw["margin_init"] = icfg.margin_init
        if icfg.margin_maint:
            kw["margin_maint"] = icfg.margin_maint
        if icfg.tick_size is not None:
            kw["tick_size"] = icfg.tick_size
        if icfg.lot_size is not None:
            kw["lot_size"] = icfg.lot_size
    cls = icfg.instrument_class if icfg is not None else (
        "FX_PAIR" if "/" in symbol else "FUTURE" if fmt == "dbn" else "EQUITY")
    if cls == "FX_PAIR":
        return Instrument.fx_pair(symbol, price_precision=pp, size_precision=sp, **kw)
    if cls == "FUTURE":
        root = symbol.split(".")[0].rstrip("0123456789")[:-1]
        tick, mult = FUTURE_ROOTS.get(root, (None, 1))
        kw.setdefault("tick_size", tick)
        if icfg is not None and icfg.multiplier != "1":
            mult = icfg.multiplier
        return Instrument.future(symbol, price_precision=pp, multiplier=mult, **kw)
    if cls == "CRYPTO_PERPETUAL":
        return Instrument.crypto_perpetual(symbol, price_precision=pp, size_precision=sp, **kw)
    return Instrument.equity(symbol, price_precision=pp, size_precision=sp, **kw)
