"""The record layout, derived from one table of message kinds.

Design contract:
- every record is ``RECORD_SIZE`` (128) bytes, little-endian, with the common header below;
- each kind's payload fields are laid out from the table in declaration order, each aligned to its
  own size, starting right after the header; nothing else declares a field name, offset or code;
- a malformed table (duplicate code or name, field clash, record too wide) fails at import with
  :class:`SchemaError` naming the kind and field;
- the fingerprint is a hash of the whole layout: two builds agree on it iff they agree on every
  kind code, field name, type and offset.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs
import numpy as np

from domain.digest import blake2b

RECORD_SIZE = 128

#: The common header: (name, numpy type, meaning). ``seq`` is the record's identity everywhere.
HEADER_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("seq", "<u8", "position in the log, contiguous from 1"),
    ("ts_event", "<i8", "when the event happened at its source, ns since the UNIX epoch"),
    ("ts_init", "<i8", "when the kernel took the record in, ns; kernel time; never decreases"),
    ("cause", "<u8", "seq of the record being processed when this one was produced; 0 for inputs"),
    ("kind", "<u2", "message kind code from the schema table"),
    ("flags", "<u2", "RecordFlag bits (INPUT, LAST, SNAPSHOT, ...)"),
    ("source", "<u4", "interned id of the component or client that produced the record"),
)
HEADER_SIZE = 40
PAYLOAD_SIZE = RECORD_SIZE - HEADER_SIZE

#: Null sentinel for optional int64 fields (a price that is not set).
NULL_I64 = int(np.iinfo(np.int64).min)

_ALLOWED_TYPES = frozenset(
    {"<i8", "<u8", "<f8", "<i4", "<u4", "<u2", "<i2", "u1", "i1"}
)


class SchemaError(ValueError):
    """The schema table breaks a structural rule; raised at import."""


@attrs.frozen
class Field:
    """One payload field.

    ``role`` tells the domain layer how to present the raw value:
    ``""`` (plain int/float), ``"price:<precision field>"``, ``"qty:<precision field>"``,
    ``"price?:<precision field>"`` / ``"qty?:<precision field>"`` (``NULL_I64`` means None),
    ``"money:<currency field>"``, ``"currency"`` (4 ASCII chars packed in a u4),
    ``"enum:<EnumName>"`` (an enum in :mod:`domain.enums`), ``"flag:<FlagName>"``,
    ``"text"`` (UTF-8 bytes).
    """

    name: str
    type: str
    role: str = ""
    doc: str = ""


@attrs.frozen
class KindSpec:
    """One message kind: its name, stable code, payload fields and what it means."""

    name: str
    code: int
    fields: tuple[Field, ...]
    doc: str
    category: str  # "data", "command", "event", "control"


@attrs.frozen
class KindLayout:
    """A kind's derived layout: its numpy dtype (header + payload, RECORD_SIZE wide)."""

    spec: KindSpec
    dtype: np.dtype
    offsets: dict[str, int]


def _header_dtype_parts() -> tuple[list[str], list[str], list[int]]:
    names, formats, offsets = [], [], []
    offset = 0
    for name, typ, _ in HEADER_FIELDS:
        names.append(name)
        formats.append(typ)
        offsets.append(offset)
        offset += np.dtype(typ).itemsize
    if offset != HEADER_SIZE:
        raise SchemaError(f"header must be {HEADER_SIZE} bytes, got {offset}")
    return names, formats, offsets


def _field_dtype(field: Field, kind: str) -> np.dtype:
    if field.type.startswith("S"):
        return np.dtype(field.type)
    if field.type not in _ALLOWED_TYPES:
        raise SchemaError(
            f"kind {kind}: field {field.name!r} has type {field.type!r}; "
            f"allowed: {sorted(_ALLOWED_TYPES)} or 'S<n>'"
        )
    return np.dtype(field.type)


def layout_kind(spec: KindSpec) -> KindLayout:
    """Lays out one kind's payload after the header; raises SchemaError on any rule broken."""
    names, formats, offsets = _header_dtype_parts()
    header_names = set(names)
    field_offsets: dict[str, int] = {}
    offset = HEADER_SIZE
    for field in spec.fields:
        if field.name in header_names:
            raise SchemaError(f"kind {spec.name}: field {field.name!r} clashes with a header field")
        if field.name in field_offsets:
            raise SchemaError(f"kind {spec.name}: field {field.name!r} is declared twice")
        dt = _field_dtype(field, spec.name)
        align = 1 if field.type.startswith("S") else dt.itemsize
        offset = -(-offset // align) * align
        field_offsets[field.name] = offset
        names.append(field.name)
        formats.append(dt.str)
        offsets.append(offset)
        offset += dt.itemsize
    for field in spec.fields:
        _check_role(spec, field, field_offsets)
    if offset > RECORD_SIZE:
        raise SchemaError(
            f"kind {spec.name}: record is {offset} bytes wide, the limit is {RECORD_SIZE}"
        )
    dtype = np.dtype(
        {"names": names, "formats": formats, "offsets": offsets, "itemsize": RECORD_SIZE}
    )
    return KindLayout(spec=spec, dtype=dtype, offsets=field_offsets)


_ROLE_PREFIXES = ("price", "qty", "price?", "qty?", "money", "enum", "flag")
_PLAIN_ROLES = ("", "currency", "text")


def _check_role(spec: KindSpec, field: Field, field_offsets: dict[str, int]) -> None:
    if field.role in _PLAIN_ROLES:
        return
    prefix, _, target = field.role.partition(":")
    if prefix not in _ROLE_PREFIXES or not target:
        raise SchemaError(f"kind {spec.name}: field {field.name!r} has unknown role {field.role!r}")
    if prefix in ("enum", "flag"):
        return
    if target not in field_offsets:
        raise SchemaError(
            f"kind {spec.name}: field {field.name!r} refers to {target!r}, which the kind lacks"
        )


def build_layouts(specs: Iterable[KindSpec]) -> dict[int, KindLayout]:
    """Checks the whole table and returns the layouts by kind code."""
    by_code: dict[int, KindLayout] = {}
    seen_names: dict[str, int] = {}
    for spec in specs:
        if not 1 <= spec.code <= 0xFFFF:
            raise SchemaError(f"kind {spec.name}: code must be in 1..65535, got {spec.code}")
        if spec.code in by_code:
            raise SchemaError(
                f"kind code {spec.code} is declared twice: "
                f"{by_code[spec.code].spec.name} and {spec.name}"
            )
        if spec.name in seen_names:
            raise SchemaError(f"kind name {spec.name} is declared twice")
        seen_names[spec.name] = spec.code
        by_code[spec.code] = layout_kind(spec)
    return by_code


def fingerprint(layouts: dict[int, KindLayout]) -> int:
    """Returns a 64-bit hash of every kind code, field name, type and offset (and the header)."""
    parts = [f"header:{n}:{t}" for n, t, _ in HEADER_FIELDS]
    for code in sorted(layouts):
        layout = layouts[code]
        for field in layout.spec.fields:
            parts.append(
                f"{code}:{layout.spec.name}:{field.name}:{field.type}:{layout.offsets[field.name]}"
            )
    digest = blake2b("\n".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def record_dtype() -> np.dtype:
    """The kind-agnostic record dtype: the header plus an opaque payload."""
    names, formats, offsets = _header_dtype_parts()
    return np.dtype(
        {
            "names": [*names, "payload"],
            "formats": [*formats, f"V{PAYLOAD_SIZE}"],
            "offsets": [*offsets, HEADER_SIZE],
            "itemsize": RECORD_SIZE,
        }
    )


RECORD_DTYPE = record_dtype()
