"""A readable listing of records: one decoded line per record (counterexamples, ``--json`` off).

Each line: ``seq``, ``ts_init`` (ns, and as a UTC time), the kind, the flags, then the payload
fields that are not zero, prices and quantities as decimals, enums by name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import numpy as np

from domain import enums
from domain.codec import RecordError, fields_of, kind_name
from domain.currencies import Currency
from domain.enums import RecordFlag
from domain.kinds import LAYOUTS
from domain.schema import NULL_I64
from domain.values import unpack_currency

_ROLE_TARGET_PREFIXES = ("price", "price?", "qty", "qty?")


def _flags(flags: int) -> str:
    names = [f.name for f in RecordFlag if flags & f and f.name]
    return "|".join(n for n in names if n) or "-"


def _value(role: str, value: object, raw: dict[str, object]) -> str | None:
    prefix, _, target = role.partition(":")
    if prefix in _ROLE_TARGET_PREFIXES:
        if value == NULL_I64:
            return None
        return str(Decimal(int(value)).scaleb(-int(raw[target])))  # type: ignore[arg-type]
    if prefix in ("enum", "flag"):
        try:
            member = getattr(enums, target)(value)
        except ValueError:
            return str(value)
        return str(member.name) if member.name else str(value)
    if prefix == "money":
        code = int(raw[target])  # type: ignore[arg-type]
        if not value or not code:
            return None if not value else str(value)
        ccy = Currency.from_packed(code)
        return f"{Decimal(int(value)).scaleb(-ccy.precision)} {ccy.code}"  # type: ignore[arg-type]
    if prefix == "currency":
        return unpack_currency(int(value)) if value else None  # type: ignore[arg-type]
    if prefix == "text":
        return repr(bytes(value).rstrip(b"\0").decode("utf-8", "replace"))  # type: ignore[arg-type]
    return None if value in (0, 0.0) else str(value)


def format_record(record: np.ndarray | np.void) -> str:
    """Returns one line describing ``record``."""
    try:
        raw = fields_of(record)
    except RecordError as exc:
        return f"<undecodable record: {exc}>"
    ts = int(raw["ts_init"])  # type: ignore[arg-type]
    when = datetime.fromtimestamp(ts / 1e9, UTC).strftime("%H:%M:%S.%f")
    layout = LAYOUTS[int(raw["kind"])]  # type: ignore[arg-type]
    folded = {f.role.partition(":")[2] for f in layout.spec.fields
              if f.role.partition(":")[0] in (*_ROLE_TARGET_PREFIXES, "money")}
    parts = []
    for field in layout.spec.fields:
        if field.name in folded:
            continue
        text = _value(field.role, raw[field.name], raw)
        if text is not None:
            parts.append(f"{field.name}={text}")
    cause = f" cause={raw['cause']}" if raw["cause"] else ""
    return (f"{raw['seq']:>6} {when} {kind_name(int(raw['kind']))}"  # type: ignore[arg-type]
            f" [{_flags(int(raw['flags']))}]{cause} " + " ".join(parts)).rstrip()


def format_stream(records: np.ndarray, limit: int = 200) -> str:
    """Returns one line per record (at most ``limit``, then a count of the rest)."""
    lines = [format_record(records[i : i + 1]) for i in range(min(len(records), limit))]
    if len(records) > limit:
        lines.append(f"  ... {len(records) - limit} more records")
    return "\n".join(lines)
