"""Immutable domain classes for every message kind, derived from the schema table.

Design contract:
- one ``attrs`` frozen class per kind (``QUOTE`` -> ``Quote``, ``ORDER_FILLED`` -> ``OrderFilled``),
  generated from :data:`domain.kinds.KIND_TABLE`; nothing here is written out per kind;
- ``from_record(to_record(x)) == x`` for every valid ``x``;
- fields are typed by their schema role: prices and quantities become :class:`Price` /
  :class:`Quantity` (their precision fields fold into them), money becomes :class:`Money`,
  enums become enum members, optional prices are ``None`` when NULL;
- ``to_record`` refuses values that disagree (two prices sharing one precision field with
  different precisions) or do not fit, naming the kind, field and value.

These classes are for tests, tools and readable code. Hot paths read columns of record arrays.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from domain import enums
from domain.codec import RecordError, as_kind, empty, fields_of
from domain.currencies import Currency
from domain.kinds import KIND_TABLE, Kind
from domain.schema import NULL_I64, Field, KindSpec
from domain.values import Money, Price, Quantity, pack_currency, unpack_currency

HEADER_ATTRS = ("seq", "ts_event", "ts_init", "cause", "flags", "source")


def _class_name(kind_name: str) -> str:
    return "".join(part.capitalize() for part in kind_name.split("_"))


@attrs.frozen
class _Codec:
    """How one field maps between its raw value(s) and its attribute."""

    attr: str
    role: str
    target: str  # precision or currency field the role refers to ("" for none)
    enum: type | None

    def decode(self, raw: dict[str, Any]) -> Any:
        value = raw[self.attr]
        prefix = self.role.split(":")[0]
        if prefix in ("price", "price?", "qty", "qty?"):
            if prefix.endswith("?") and value == NULL_I64:
                return None
            cls = Price if prefix.startswith("price") else Quantity
            return cls(value, raw[self.target])
        if prefix == "money":
            return Money(value, Currency.from_code(unpack_currency(raw[self.target])))
        if prefix == "currency":
            return unpack_currency(value)
        if self.enum is not None:
            return self.enum(value)
        return value

    def encode(self, value: Any, raw: dict[str, Any], kind: str) -> None:
        prefix = self.role.split(":")[0]
        if prefix in ("price", "price?", "qty", "qty?"):
            if value is None:
                if not prefix.endswith("?"):
                    raise RecordError(f"kind {kind}: field {self.attr!r} is required, got None")
                raw[self.attr] = NULL_I64
                return
            _share(raw, self.target, value.precision, kind, self.attr)
            raw[self.attr] = value.raw
        elif prefix == "money":
            _share(raw, self.target, value.currency.packed, kind, self.attr)
            raw[self.attr] = value.raw
        elif prefix == "currency":
            raw[self.attr] = pack_currency(value)
        else:
            raw[self.attr] = int(value) if self.enum is not None else value


def _share(raw: dict[str, Any], target: str, value: int, kind: str, attr: str) -> None:
    """Sets a field that several attributes share (a precision or a currency); they must agree."""
    if raw.get(target, value) != value:
        raise RecordError(
            f"kind {kind}: field {attr!r} needs {target}={value}, "
            f"but another field already set {target}={raw[target]}"
        )
    raw[target] = value


def _codecs(spec: KindSpec) -> tuple[list[_Codec], set[str]]:
    folded = {
        f.role.split(":")[1]
        for f in spec.fields
        if f.role.split(":")[0] in ("price", "price?", "qty", "qty?", "money")
    }
    codecs = []
    for field in spec.fields:
        if field.name in folded:
            continue
        codecs.append(_codec_of(field))
    return codecs, folded


def _codec_of(field: Field) -> _Codec:
    prefix, _, target = field.role.partition(":")
    enum = getattr(enums, target) if prefix in ("enum", "flag") else None
    return _Codec(attr=field.name, role=field.role, target=target, enum=enum)


def _make_class(spec: KindSpec) -> type:
    codecs, folded = _codecs(spec)
    header = {name: attrs.field(default=0, kw_only=True) for name in HEADER_ATTRS}
    header["flags"] = attrs.field(default=enums.RecordFlag(0), kw_only=True,
                                  converter=enums.RecordFlag)
    body = {
        c.attr: attrs.field(converter=c.enum) if c.enum is not None else attrs.field()
        for c in codecs
    }
    cls = attrs.make_class(
        _class_name(spec.name), {**body, **header}, frozen=True, slots=True,
        bases=(RecordClass,),
    )
    cls.kind = Kind[spec.name]
    cls.spec = spec
    cls._codecs = codecs
    cls._folded = folded
    cls.__doc__ = spec.doc
    return cls


class RecordClass:
    """Base of the generated record classes."""

    kind: Kind
    spec: KindSpec
    _codecs: list[_Codec]
    _folded: set[str]

    def to_record(self) -> np.ndarray:
        """Returns this value as one RECORD_DTYPE record (shape ``(1,)``)."""
        raw: dict[str, Any] = {}
        for codec in self._codecs:
            codec.encode(getattr(self, codec.attr), raw, self.spec.name)
        for name in HEADER_ATTRS:
            raw[name] = int(getattr(self, name))
        record = empty(self.kind)
        typed = as_kind(record, self.kind)
        for name, value in raw.items():
            try:
                typed[name] = value
            except (OverflowError, ValueError, TypeError) as exc:
                raise RecordError(
                    f"kind {self.spec.name}: field {name!r} cannot hold {value!r}: {exc}"
                ) from None
        return record

    @classmethod
    def from_fields(cls, raw: dict[str, Any]) -> RecordClass:
        values = {c.attr: c.decode(raw) for c in cls._codecs}
        header = {name: raw[name] for name in HEADER_ATTRS}
        return cls(**values, **header)


RECORD_CLASSES: dict[int, type] = {int(Kind[s.name]): _make_class(s) for s in KIND_TABLE}
globals().update({cls.__name__: cls for cls in RECORD_CLASSES.values()})


def from_record(record: np.void | np.ndarray) -> Any:
    """Returns the domain object of one record; raises RecordError for an unknown kind."""
    raw = fields_of(record)
    return RECORD_CLASSES[raw["kind"]].from_fields(raw)


def to_record(value: RecordClass) -> np.ndarray:
    """Returns one record (shape ``(1,)``) for a generated record-class instance."""
    return value.to_record()


__all__ = ["RECORD_CLASSES", "RecordClass", "from_record", "to_record"] + [
    cls.__name__ for cls in RECORD_CLASSES.values()
]
