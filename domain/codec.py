"""Encoding and decoding of raw records, derived from the schema table.

Design contract:
- ``encode``/``fields_of`` work on raw values (ints, floats, bytes) named as in the table; the
  typed domain classes of :mod:`domain.records` sit on top of them;
- bulk paths build whole arrays (``empty`` + column assignment through ``as_kind``); nothing here
  writes a numpy record field by field in a loop;
- an unknown kind code or field name is refused with :class:`RecordError` naming it (and the
  ``seq`` when decoding).
"""

from __future__ import annotations

import struct
from collections import namedtuple
from collections.abc import Callable
from typing import Any

import numpy as np

from domain.kinds import KIND_DTYPES, LAYOUTS, RECORD_DTYPE, Kind
from domain.schema import HEADER_FIELDS, NULL_I64

HEADER_NAMES = tuple(name for name, _, _ in HEADER_FIELDS)
STRING_PART_BYTES = 80
_STRING = int(Kind.STRING)


class RecordError(ValueError):
    """A record or field is not what the schema says (unknown kind, unknown field, bad value)."""


def kind_dtype(kind: int) -> np.dtype:
    """Returns the dtype that names ``kind``'s payload fields; raises RecordError if unknown."""
    try:
        return KIND_DTYPES[kind]
    except KeyError:
        raise RecordError(f"unknown record kind {kind}") from None


def empty(kind: int, n: int = 1) -> np.ndarray:
    """Returns ``n`` zeroed records of ``kind`` (RECORD_DTYPE) with the kind field set."""
    records = np.zeros(n, dtype=RECORD_DTYPE)
    kind_dtype(kind)
    records["kind"] = kind
    return records


def as_kind(records: np.ndarray, kind: int) -> np.ndarray:
    """Returns a view of ``records`` whose fields are ``kind``'s; no copy, no check of contents."""
    return records.view(kind_dtype(kind))


def encode(kind: int, **values: Any) -> np.ndarray:
    """Returns one record of ``kind`` (shape ``(1,)``) with the given header and payload values.

    Payload fields not given are zero, except optional prices and quantities, which are NULL.
    """
    record = empty(kind)
    typed = as_kind(record, kind)
    layout = LAYOUTS[kind]
    for field in layout.spec.fields:
        if field.role.startswith(("price?", "qty?")):
            typed[field.name] = NULL_I64
    names = typed.dtype.names
    for name, value in values.items():
        if name not in names or name == "kind":
            raise RecordError(f"kind {Kind(kind).name} has no field {name!r} (value {value!r})")
        try:
            typed[name] = value
        except (OverflowError, ValueError, TypeError) as exc:
            raise RecordError(
                f"kind {Kind(kind).name}: field {name!r} cannot hold {value!r}: {exc}"
            ) from None
    return record


def fields_of(record: np.void | np.ndarray) -> dict[str, Any]:
    """Returns a record's header and payload as a dict of plain Python values."""
    rec = record.reshape(1) if isinstance(record, np.ndarray) else np.asarray([record])
    rec = rec.view(RECORD_DTYPE)
    kind = int(rec["kind"][0])
    if kind not in KIND_DTYPES:
        raise RecordError(f"seq {int(rec['seq'][0])}: unknown record kind {kind}")
    typed = rec.view(KIND_DTYPES[kind])[0]
    return {name: typed[name].item() for name in typed.dtype.names}


def kind_name(kind: int) -> str:
    """Returns the kind's name, or ``UNKNOWN(<code>)``."""
    return LAYOUTS[kind].spec.name if kind in LAYOUTS else f"UNKNOWN({kind})"


def string_records(string_id: int, text: str) -> np.ndarray:
    """Returns the STRING records that intern ``text`` as ``string_id`` (one per 80 bytes)."""
    return np.frombuffer(bytearray(string_record_bytes(string_id, text)), dtype=RECORD_DTYPE)


def string_record_bytes(string_id: int, text: str, ts_ns: int = 0, cause: int = 0,
                        source: int = 0) -> bytes:
    """Returns the bytes of :func:`string_records` with ``ts_event = ts_init = ts_ns``,
    ``cause`` and ``source`` set (seq and flags 0): one struct pack per part."""
    if "\x00" in text:
        raise RecordError(f"string {string_id} contains a NUL character: {text!r}")
    data = text.encode("utf-8")
    n_parts = max(1, -(-len(data) // STRING_PART_BYTES))
    if n_parts > 0xFFFF:
        raise RecordError(f"string {string_id} is {len(data)} bytes, too long to intern")
    pack, kind = RAW_STRUCTS[_STRING].pack, _STRING
    return b"".join(
        pack(0, ts_ns, ts_ns, cause, kind, 0, source, string_id, i, n_parts,
             data[i * STRING_PART_BYTES : (i + 1) * STRING_PART_BYTES])
        for i in range(n_parts)
    )


def join_string_parts(parts: list[bytes]) -> str:
    """Returns the text of a string's parts, in part order; raises RecordError on bad UTF-8."""
    data = b"".join(parts)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(f"interned string is not valid UTF-8: {exc}") from None


# --- fast per-record raw access (the kernel's hot path) -------------------------------------------
# One struct.Struct per kind, derived from its dtype (offsets and padding included), and one
# namedtuple class per kind whose fields are the header then the payload, named as in the table.
# ``struct.unpack_from`` on bytes is ~0.3 µs per record; numpy scalar field access is ~1 µs per
# field (measured by perf/backtest_quotes.py), so per-record paths use these.

_STRUCT_CODES = {
    "<u8": "Q", "<i8": "q", "<f8": "d", "<i4": "i", "<u4": "I", "<u2": "H", "<i2": "h",
    "|u1": "B", "|i1": "b",
}


def _struct_format(dtype: np.dtype) -> str:
    parts = ["<"]
    pos = 0
    for name, (sub, offset, *_) in sorted(dtype.fields.items(), key=lambda kv: kv[1][1]):
        if offset > pos:
            parts.append(f"{offset - pos}x")
        if sub.kind == "S":
            parts.append(f"{sub.itemsize}s")
        else:
            try:
                parts.append(_STRUCT_CODES[sub.str])
            except KeyError:
                raise RecordError(f"field {name!r} has type {sub.str} with no struct code") from None
        pos = offset + sub.itemsize
    if pos < dtype.itemsize:
        parts.append(f"{dtype.itemsize - pos}x")
    return "".join(parts)


def _field_names(kind: int) -> tuple[str, ...]:
    dt = KIND_DTYPES[kind]
    return tuple(sorted(dt.names, key=lambda n: dt.fields[n][1]))


def _build_raw_types() -> tuple[dict[int, type], dict[int, struct.Struct]]:
    tuples: dict[int, type] = {}
    structs: dict[int, struct.Struct] = {}
    for kind, layout in LAYOUTS.items():
        tuples[kind] = namedtuple(f"Raw{layout.spec.name.title().replace('_', '')}",
                                  _field_names(kind))
        structs[kind] = struct.Struct(_struct_format(KIND_DTYPES[kind]))
    return tuples, structs


RAW_TUPLES, RAW_STRUCTS = _build_raw_types()
"""Per kind: the raw namedtuple class (header + payload fields) and its struct (RECORD_SIZE)."""

_KIND_AT = struct.Struct("<H")
KIND_OFFSET = 32  # byte offset of the header's ``kind`` field


def raw_decoder(kind: int) -> Callable[[bytes | memoryview, int], tuple]:
    """Returns ``decode(buffer, offset) -> namedtuple`` for records of ``kind`` (raw ints, bytes)."""
    try:
        cls, st = RAW_TUPLES[kind], RAW_STRUCTS[kind]
    except KeyError:
        raise RecordError(f"unknown record kind {kind}") from None
    make, unpack_from = cls._make, st.unpack_from

    def decode(buffer: bytes | memoryview, offset: int = 0) -> tuple:
        return make(unpack_from(buffer, offset))

    return decode


def decode_raw(buffer: bytes | memoryview, offset: int = 0) -> tuple:
    """Returns the raw namedtuple of the record at ``offset``; RecordError for an unknown kind."""
    (kind,) = _KIND_AT.unpack_from(buffer, offset + KIND_OFFSET)
    try:
        cls, st = RAW_TUPLES[kind], RAW_STRUCTS[kind]
    except KeyError:
        (seq,) = struct.unpack_from("<Q", buffer, offset)
        raise RecordError(f"seq {seq}: unknown record kind {kind}") from None
    return cls._make(st.unpack_from(buffer, offset))


class RawPacker:
    """Packs one kind's raw field values into RECORD_SIZE bytes, fast, from keyword arguments.

    Fields not given are zero, except optional prices/quantities, which are NULL (as ``encode``).
    """

    __slots__ = ("kind", "_struct", "_defaults", "_index", "_name")

    def __init__(self, kind: int) -> None:
        if kind not in LAYOUTS:
            raise RecordError(f"unknown record kind {kind}")
        self.kind = kind
        self._name = LAYOUTS[kind].spec.name
        names = _field_names(kind)
        self._struct = RAW_STRUCTS[kind]
        self._index = {name: i for i, name in enumerate(names)}
        defaults: list[Any] = []
        roles = {f.name: f.role for f in LAYOUTS[kind].spec.fields}
        dt = KIND_DTYPES[kind]
        for name in names:
            sub = dt.fields[name][0]
            if roles.get(name, "").startswith(("price?", "qty?")):
                defaults.append(NULL_I64)
            elif sub.kind == "S":
                defaults.append(b"")
            elif sub.kind == "f":
                defaults.append(0.0)
            else:
                defaults.append(0)
        defaults[self._index["kind"]] = kind
        self._defaults = defaults

    def pack(self, **values: Any) -> bytes:
        """Returns the record's bytes; RecordError names the field when a value does not fit."""
        row = self._defaults.copy()
        index = self._index
        for name, value in values.items():
            i = index.get(name)
            if i is None or name == "kind":
                raise RecordError(f"kind {self._name} has no field {name!r} (value {value!r})")
            row[i] = value
        try:
            return self._struct.pack(*row)
        except struct.error as exc:
            bad = self._find_bad(row)
            raise RecordError(f"kind {self._name}: {bad}: {exc}") from None

    def _find_bad(self, row: list[Any]) -> str:
        for name, i in self._index.items():
            one = self._defaults.copy()
            one[i] = row[i]
            try:
                self._struct.pack(*one)
            except struct.error:
                return f"field {name!r} cannot hold {row[i]!r}"
        return "a field does not fit"


_PACKERS: dict[int, RawPacker] = {}


def packer(kind: int) -> RawPacker:
    """Returns the (shared) RawPacker of ``kind``."""
    p = _PACKERS.get(kind)
    if p is None:
        p = _PACKERS[kind] = RawPacker(kind)
    return p
