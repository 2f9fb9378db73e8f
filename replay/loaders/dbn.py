"""Databento DBN files (plain or zstd) streamed into ringbus records.

Design contract:
- supported schemas: ``mbo`` -> BOOK_DELTA (L3), ``mbp-1`` and ``mbp-10`` -> QUOTE of the top
  level (preceded by a TRADE for each ``T`` record), ``trades`` -> TRADE, ``ohlcv-1s/1m/1h/1d/eod``
  -> BAR, ``status`` -> INSTRUMENT_STATUS (decoded by :mod:`replay.dbn_status`, the schema
  hook); any other schema fails with :class:`DbnFormatError`;
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
from typing import Any

import attrs
import databento_dbn as dbn
import numpy as np

from domain.kinds import RECORD_DTYPE
from replay.loaders.dbn_convert import RAW_DTYPES, convert_raw, min_precision
from replay.loaders.dbn_errors import DbnDataError, DbnError, DbnFormatError

__all__ = [
    "DbnDataError", "DbnError", "DbnFormatError", "DbnMetadata", "iter_dbn", "load_dbn",
    "read_dbn_metadata", "scan_price_precision",
]

_PIECE_BYTES = 1 << 20
_META_PIECE_BYTES = 1 << 14
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_UNDEF_TS = 2**64 - 1


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


_MSG_TYPES = {"mbo": dbn.MBOMsg, "mbp-1": dbn.MBP1Msg, "mbp-10": dbn.MBP10Msg,
              "trades": dbn.TradeMsg}
#: schema -> (raw record dtype, decoder message type)
_SCHEMAS: dict[str, tuple[np.dtype, type]] = {
    schema: (dtype, _MSG_TYPES.get(schema, dbn.OHLCVMsg)) for schema, dtype in RAW_DTYPES.items()
}


def _schema_hook(schema: str) -> Any:
    """Returns the loader of a schema decoded by its own module (``status``), else None."""
    if schema == "status":
        from replay.dbn_status import iter_dbn_status

        return iter_dbn_status
    return None


def _decoder(first_piece: bytes) -> dbn.DBNDecoder:
    zstd = first_piece.startswith(_ZSTD_MAGIC)
    return dbn.DBNDecoder(compression=dbn.Compression.ZSTD if zstd else dbn.Compression.NONE)


def _raw_chunks(path: str, chunk: int) -> Iterator[tuple[DbnMetadata, int, np.ndarray]]:
    """Yields (metadata, index of the first record, raw records) with at most ``chunk`` records."""
    meta: DbnMetadata | None = None
    raw_dtype, msg_type = _SCHEMAS["mbo"]
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
    if meta.schema not in _SCHEMAS and _schema_hook(meta.schema) is None:
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


def scan_price_precision(path: str | Path) -> int:
    """Reads the whole file and returns the fewest decimals that represent all its prices."""
    return max((min_precision(raw) for _, _, raw in _raw_chunks(str(path), 1 << 16)), default=0)


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
    hook = _schema_hook(schema)
    if hook is not None:
        yield from hook(path, instrument_id, chunk_records=chunk_records, source=source)
        return
    # an MBP record may become two records (TRADE + QUOTE): halve the raw chunk to keep the bound
    raw_chunk = chunk_records // 2 if schema.startswith("mbp") else chunk_records
    for meta, start, raw in _raw_chunks(path, raw_chunk):
        if price_precision is None:
            price_precision = min_precision(raw)
        yield convert_raw(meta.schema, path, start, raw, instrument_id, price_precision, source)


def load_dbn(path: str | Path, instrument_id: int, *, price_precision: int | None = None,
             source: int = 0) -> np.ndarray:
    """Loads a whole file into one RECORD_DTYPE array (one pass); without ``price_precision``
    it is the fewest decimals that represent every price of the file exactly."""
    path = str(path)
    raws = list(_raw_chunks(path, 1 << 16))
    if not raws:
        return np.zeros(0, RECORD_DTYPE)
    if price_precision is None:
        price_precision = max(min_precision(raw) for _, _, raw in raws)
    _check_precision(price_precision)
    schema = raws[0][0].schema
    return np.concatenate([convert_raw(schema, path, start, raw, instrument_id, price_precision,
                                       source) for _, start, raw in raws])
