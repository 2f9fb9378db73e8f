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
- records are read as a numpy structured view over the (zstd-stream-decompressed) bytes, with
  the record layouts of :mod:`replay.loaders.dbn_convert`, and converted column-wise; the
  metadata is decoded by ``databento-dbn``; chunks hold at most ``chunk_records`` records;
- a corrupt or truncated file, an unexpected record type (rtype or length not the schema's) or
  a bad value raises before the chunk holding it is yielded, naming the file, the DBN record
  index (from 0), the field and the value;
- a plain (uncompressed) ``.dbn`` file has no checksum (zstd frames have one): a file cut exactly
  at a record boundary cannot be told from a short file, and damaged bytes inside a record are
  only caught when a value is invalid. The one count the metadata holds is its ``limit``: a file
  with more records than a non-zero limit is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import attrs
import databento_dbn as dbn
import numpy as np
import zstandard

from domain.kinds import RECORD_DTYPE
from replay.loaders.dbn_convert import RAW_DTYPES, convert_raw, min_precision
from replay.loaders.dbn_errors import DbnDataError, DbnError, DbnFormatError

__all__ = [
    "DbnDataError", "DbnError", "DbnFormatError", "DbnMetadata", "iter_dbn", "load_dbn",
    "read_dbn_metadata", "scan_price_precision",
]

_PIECE = 1 << 20
_METADATA_PIECE = 1 << 14  # reading only the metadata decompresses no more than it must
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
    #: the most records the file may hold (0: no limit)
    limit: int = 0


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
        limit=int(meta.limit or 0),
    )


#: schema -> the rtypes its records may have (OHLCV rtypes are checked by the converter)
_RTYPES = {"mbo": (160,), "mbp-1": (1,), "mbp-10": (10,), "trades": (0,)}
_OHLCV_RTYPES = (32, 33, 34, 35, 36)


def _schema_hook(schema: str) -> Any:
    """Returns the loader of a schema decoded by its own module (``status``), else None."""
    if schema == "status":
        from replay.dbn_status import iter_dbn_status

        return iter_dbn_status
    return None


class _ZstdStream:
    """Decompressed bytes of zstd frames read from ``f``, streamed: each piece of input is
    decompressed once and copied once into the caller's buffer (``readinto``). ``cut_short`` is
    set when the input ends inside a frame (its end or its checksum missing), which is then no
    shorter file."""

    def __init__(self, f: BinaryIO, piece: int = _PIECE) -> None:
        self._f, self._piece, self._dobj = f, piece, zstandard.ZstdDecompressor().decompressobj()
        self._pending = memoryview(b"")
        self.cut_short = False

    def _decompress_more(self) -> bool:
        """Decompresses the next piece of input into ``_pending``; False at the end of input."""
        while not self._pending:
            piece = self._f.read(self._piece)
            if not piece:
                self.cut_short = not self._dobj.eof
                return False
            parts = []
            while piece:
                if self._dobj.eof:
                    self._dobj = zstandard.ZstdDecompressor().decompressobj()
                parts.append(self._dobj.decompress(piece))
                piece = self._dobj.unused_data if self._dobj.eof else b""
            self._pending = memoryview(parts[0] if len(parts) == 1 else b"".join(parts))
        return True

    def readinto(self, out: memoryview) -> int:
        """Fills ``out`` (fewer bytes only at the end of the stream); returns the count."""
        got = 0
        while got < len(out) and (self._pending or self._decompress_more()):
            k = min(len(self._pending), len(out) - got)
            out[got:got + k] = self._pending[:k]
            self._pending = self._pending[k:]
            got += k
        return got


def _open_records(f: BinaryIO, piece: int = _PIECE) -> BinaryIO | _ZstdStream:
    """Returns a stream of the file's DBN bytes (zstd decompressed as a stream, ``piece`` bytes
    of input at a time)."""
    zstd = f.read(4) == _ZSTD_MAGIC
    f.seek(0)
    return _ZstdStream(f, piece) if zstd else f


def _readinto(stream: BinaryIO | _ZstdStream, out: memoryview) -> int:
    """Fills ``out`` from ``stream`` (fewer bytes only at its end); returns the count."""
    got = 0
    while got < len(out):
        k = stream.readinto(out[got:])
        if not k:
            break
        got += k
    return got


def _read(stream: BinaryIO | _ZstdStream, n: int) -> bytes:
    """Reads up to ``n`` bytes (fewer only at the end of the stream)."""
    buf = bytearray(n)
    return bytes(buf[:_readinto(stream, memoryview(buf))])


def _read_metadata(path: str, stream: BinaryIO | _ZstdStream) -> DbnMetadata:
    prefix = _read(stream, 8)
    if len(prefix) < 8:
        raise DbnFormatError(path, 0, "no DBN metadata: empty or truncated file")
    if prefix[:3] != b"DBN":
        raise DbnFormatError(path, 0, "file does not start with DBN metadata")
    body = _read(stream, int.from_bytes(prefix[4:8], "little"))
    decoder = dbn.DBNDecoder()
    try:
        decoder.write(prefix + body)
        objs = decoder.decode()
    except Exception as exc:  # the binding raises plain RuntimeError/ValueError
        raise DbnFormatError(path, 0, f"corrupt DBN metadata: {exc}") from exc
    if not objs:
        raise DbnFormatError(path, 0, "no DBN metadata: empty or truncated file")
    return _check_metadata(path, objs[0])


def _check_records(path: str, meta: DbnMetadata, index: int, raw: np.ndarray) -> None:
    """Raises DbnFormatError for the first record that is not of the schema's layout, or past
    the metadata's record limit."""
    rtypes = _RTYPES.get(meta.schema, _OHLCV_RTYPES)
    bad = raw["length"] != raw.dtype.itemsize // 4
    bad |= raw["rtype"] != rtypes[0] if len(rtypes) == 1 else ~np.isin(raw["rtype"], rtypes)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise DbnFormatError(path, index + j, f"unexpected record (rtype {int(raw['rtype'][j])}, "
                             f"{int(raw['length'][j]) * 4} bytes) in a {meta.schema} file")
    if meta.limit and index + len(raw) > meta.limit:
        raise DbnFormatError(path, meta.limit, f"more records than the metadata's limit of "
                             f"{meta.limit} records")


def _raw_chunks(path: str, chunk: int, *, reuse: bool = False
                ) -> Iterator[tuple[DbnMetadata, int, np.ndarray]]:
    """Yields (metadata, index of the first record, raw records) with at most ``chunk`` records.

    The file is read (and decompressed) straight into one chunk-sized buffer; with ``reuse`` the
    raw records are a view of it, valid only until the next chunk is read, else a copy."""
    index = 0
    with open(path, "rb") as f:
        stream = _open_records(f)
        try:
            meta = _read_metadata(path, stream)
            raw_dtype = RAW_DTYPES[meta.schema]
            size = raw_dtype.itemsize
            buf = bytearray(chunk * size)
            view = memoryview(buf)
            while True:
                got = _readinto(stream, view)
                n, rest = divmod(got, size)
                if rest:  # only at the end: the last chunk holds an incomplete record
                    raise DbnFormatError(path, index + n, f"truncated file: {rest} bytes "
                                         "of an incomplete record at the end")
                if getattr(stream, "cut_short", False):
                    raise DbnFormatError(path, index + n, "truncated file: the zstd data ends "
                                         "inside a frame")
                if n:
                    raw = np.frombuffer(buf, raw_dtype, count=n)
                    _check_records(path, meta, index, raw)
                    yield meta, index, raw if reuse else raw.copy()
                    index += n
                if got < len(buf):
                    break
        except zstandard.ZstdError as exc:
            raise DbnFormatError(path, index, f"corrupt DBN data: {exc}") from exc


def _check_metadata(path: str, obj: object) -> DbnMetadata:
    if not isinstance(obj, dbn.Metadata):
        raise DbnFormatError(path, 0, "file does not start with DBN metadata")
    meta = _metadata(path, obj)
    if meta.schema not in RAW_DTYPES and _schema_hook(meta.schema) is None:
        raise DbnFormatError(path, 0, f"schema {meta.schema!r} is not supported; "
                             f"supported: {sorted(RAW_DTYPES)}")
    return meta


def read_dbn_metadata(path: str | Path) -> DbnMetadata:
    """Returns the file's metadata, reading only as far as the metadata ends."""
    path = str(path)
    with open(path, "rb") as f:
        try:
            return _read_metadata(path, _open_records(f, _METADATA_PIECE))
        except zstandard.ZstdError as exc:
            raise DbnFormatError(path, 0, f"corrupt DBN metadata: {exc}") from exc


def scan_price_precision(path: str | Path) -> int:
    """Reads the whole file and returns the fewest decimals that represent all its prices."""
    return max((min_precision(raw) for _, _, raw in _raw_chunks(str(path), 1 << 16, reuse=True)),
               default=0)


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
    for meta, start, raw in _raw_chunks(path, raw_chunk, reuse=True):  # converted before the next
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
