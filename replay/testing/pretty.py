"""A readable listing of records: one decoded line per record (counterexamples, ``--json`` off).

Each line: ``seq``, ``ts_init`` (ns, and as a UTC time), the kind, the flags, then the payload
fields that are not zero, prices and quantities as decimals, enums by name, currencies as codes,
run ids as hex and, given a :class:`~domain.strings.StringTable`, interned ids as their text;
never a raw price or the NULL sentinel. :func:`decoded` gives the same values as JSON-able data
(``ringbus tail --json``, ``trace --json``). A reason template is shown rendered: its
``{field}`` parts from the record itself and, on a REASON_ARGS record, its numbers
(:mod:`engines.reasons`): that line carries the refusal's whole text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np

from domain import enums
from domain.codec import RecordError, fields_of, kind_name
from domain.currencies import Currency
from domain.enums import RecordFlag
from domain.kinds import LAYOUTS, Kind
from domain.schema import NULL_I64, Field
from domain.strings import StringTable
from domain.values import unpack_currency
from engines.reasons import MAX_ARGS, render
from journal.runs import format_run_id

_ROLE_TARGET_PREFIXES = ("price", "price?", "qty", "qty?")


def _flags(flags: int) -> str:
    names = [f.name for f in RecordFlag if flags & f and f.name]
    return "|".join(n for n in names if n) or "-"


#: Fields holding a run id: printed as 16 hex digits (:func:`journal.runs.format_run_id`).
RUN_ID_FIELDS = frozenset({"run_id", "parent_run_id", "crashed_run_id"})
#: 64-bit hashes: printed as 16 hex digits, as run ids are.
HASH_FIELDS = frozenset({"schema_fingerprint", "config_hash", "state_hash"})
#: Longest interned text shown inline; a longer one (a manifest's JSON) shows as ``#id``.
MAX_INLINE_TEXT = 120
HEADER_FIELDS = ("seq", "kind", "flags", "source", "cause", "ts_event", "ts_init")


#: Names of fields that hold an interned id: those the schema documents as interned in any kind
#: (``strategy_id`` is documented once, on the order reference).
INTERNED_FIELDS = frozenset(f.name for layout in LAYOUTS.values() for f in layout.spec.fields
                            if "interned" in f.doc)


def _interned(field: Field) -> bool:
    return field.name in INTERNED_FIELDS


def field_value(field: Field, value: Any, raw: dict[str, Any],
                strings: StringTable | None = None) -> Any:
    """Returns a payload field's decoded value: prices and quantities as decimal strings (None
    for NULL), money as ``"amount CCY"``, currencies as codes, enums by name, run ids as hex,
    interned ids as their text (``"#id"`` when the table does not know it, or the text is
    longer than :data:`MAX_INLINE_TEXT`; None for id 0), text as str; other values as they are."""
    prefix, _, target = field.role.partition(":")
    if prefix in _ROLE_TARGET_PREFIXES:
        if value == NULL_I64:
            return None
        return str(Decimal(int(value)).scaleb(-int(raw[target])))
    if prefix in ("enum", "flag"):
        try:
            member = getattr(enums, target)(value)
        except ValueError:
            return int(value)
        return str(member.name) if member.name else int(value)
    if prefix == "money":
        code = int(raw[target])
        if not code:
            return None if not value else int(value)
        ccy = Currency.from_packed(code)
        return f"{Decimal(int(value)).scaleb(-ccy.precision)} {ccy.code}"
    if prefix == "currency":
        return unpack_currency(int(value)) if value else None
    if prefix == "text":
        return bytes(value).rstrip(b"\0").decode("utf-8", "replace")
    if field.name in RUN_ID_FIELDS:
        return format_run_id(int(value)) if value else None
    if field.name in HASH_FIELDS:
        return f"{int(value):016x}"
    if _interned(field) and strings is not None:
        if not value:
            return None
        text = strings.get(int(value))
        return text if text is not None and len(text) <= MAX_INLINE_TEXT else f"#{int(value)}"
    return value.item() if isinstance(value, np.generic) else value


def _folded(kind: int) -> set[str]:
    """The precision and currency fields that are folded into other fields' decoded values."""
    return {f.role.partition(":")[2] for f in LAYOUTS[kind].spec.fields
            if f.role.partition(":")[0] in (*_ROLE_TARGET_PREFIXES, "money")}


def decoded(record: np.ndarray | np.void, strings: StringTable | None = None) -> dict[str, Any]:
    """Returns a record as JSON-able decoded data: ``kind_name``, the header fields as ints,
    ``flag_names``, then every payload field decoded by :func:`field_value` (raises
    RecordError for a record that does not decode)."""
    raw = fields_of(record)
    kind = int(raw["kind"])
    out: dict[str, Any] = {"kind_name": kind_name(kind)}
    out.update((h, int(raw[h])) for h in HEADER_FIELDS)
    out["flag_names"] = _flags(int(raw["flags"]))
    for field in LAYOUTS[kind].spec.fields:
        value = field_value(field, raw[field.name], raw, strings)
        out[field.name] = value.item() if isinstance(value, np.generic) else value
    if isinstance(out.get("reason_id"), str):
        out["reason_id"] = _rendered(out["reason_id"], raw, kind)
    return out


def _rendered(template: str, raw: dict[str, Any], kind: int) -> str:
    """Returns a reason template filled from the record (and its numbers on REASON_ARGS)."""
    rec = _Fields(raw)
    args = tuple((int(raw[f"a{i}"]), int(raw[f"p{i}"])) for i in range(MAX_ARGS)) \
        if kind == Kind.REASON_ARGS else None
    return render(template, rec, args)


class _Fields:
    """A record's fields as attributes (what :func:`engines.reasons.render` reads)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self._raw = raw

    def __getattr__(self, name: str) -> Any:
        try:
            value = self._raw[name]
        except (KeyError, ValueError):
            raise AttributeError(name) from None
        return value.item() if isinstance(value, np.generic) else value


def format_record(record: np.ndarray | np.void, strings: StringTable | None = None) -> str:
    """Returns one line describing ``record`` (interned ids as text when ``strings`` is given)."""
    try:
        raw = fields_of(record)
    except RecordError as exc:
        return f"<undecodable record: {exc}>"
    ts = int(raw["ts_init"])
    when = datetime.fromtimestamp(ts / 1e9, UTC).strftime("%H:%M:%S.%f")
    kind = int(raw["kind"])
    folded = _folded(kind)
    if kind == Kind.REASON_ARGS:  # the numbers are shown in the rendered reason
        folded = folded | {f"{c}{i}" for c in "ap" for i in range(MAX_ARGS)}
    parts = []
    for field in LAYOUTS[kind].spec.fields:
        if field.name in folded:
            continue
        value = field_value(field, raw[field.name], raw, strings)
        if field.name == "reason_id" and isinstance(value, str):
            value = _rendered(value, raw, kind)
        if value is None or (not isinstance(value, str) and value in (0, 0.0)):
            continue
        parts.append(f"{field.name}={value!r}" if field.role == "text" else
                     f"{field.name}={value}")
    cause = f" cause={raw['cause']}" if raw["cause"] else ""
    return (f"{raw['seq']:>6} {when} {kind_name(kind)}"
            f" [{_flags(int(raw['flags']))}]{cause} " + " ".join(parts)).rstrip()


def strings_until(reader: Any, last_seq: int) -> StringTable:
    """Returns the string table of the journal's STRING records up to ``last_seq`` (a damaged
    or out-of-order part is skipped: its ids then print as ``#id``)."""
    table = StringTable()
    if last_seq < 1:
        return table
    for batch in reader.batches(1, last_seq):
        for i in np.flatnonzero(batch["kind"] == Kind.STRING):
            try:
                table.apply(batch[i : i + 1])
            except RecordError:
                continue
    return table


def format_stream(records: np.ndarray, limit: int = 200) -> str:
    """Returns one line per record (at most ``limit``, then a count of the rest)."""
    lines = [format_record(records[i : i + 1]) for i in range(min(len(records), limit))]
    if len(records) > limit:
        lines.append(f"  ... {len(records) - limit} more records")
    return "\n".join(lines)
