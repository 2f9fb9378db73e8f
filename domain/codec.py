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

from typing import Any

import numpy as np

from domain.kinds import KIND_DTYPES, LAYOUTS, RECORD_DTYPE, Kind
from domain.schema import HEADER_FIELDS, NULL_I64

HEADER_NAMES = tuple(name for name, _, _ in HEADER_FIELDS)
STRING_PART_BYTES = 80


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
    if "\x00" in text:
        raise RecordError(f"string {string_id} contains a NUL character: {text!r}")
    data = text.encode("utf-8")
    n_parts = max(1, -(-len(data) // STRING_PART_BYTES))
    if n_parts > 0xFFFF:
        raise RecordError(f"string {string_id} is {len(data)} bytes, too long to intern")
    records = empty(Kind.STRING, n_parts)
    typed = as_kind(records, Kind.STRING)
    typed["string_id"] = string_id
    typed["n_parts"] = n_parts
    typed["part"] = np.arange(n_parts, dtype=np.uint16)
    typed["text"] = [
        data[i * STRING_PART_BYTES : (i + 1) * STRING_PART_BYTES] for i in range(n_parts)
    ]
    return records


def join_string_parts(parts: list[bytes]) -> str:
    """Returns the text of a string's parts, in part order; raises RecordError on bad UTF-8."""
    data = b"".join(parts)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(f"interned string is not valid UTF-8: {exc}") from None
