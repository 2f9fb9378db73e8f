"""Plain-data (JSON-able) encoding of the state of domain objects, for snapshots.

Contract: :func:`encode` turns ints, floats, strings, None, bools, int enums of the domain,
currencies, and lists / tuples / dicts of those (any key type) into JSON-able values, tagging
what JSON cannot tell apart (``{"e": [enum name, value]}``, ``{"t": [...]}``, ``{"d": [[k, v]]}``,
``{"c": packed currency}``); :func:`decode` inverts it exactly. Enums are looked up in a fixed
registry of the domain's enum classes by name: decoding never imports or runs code named by the
data. :func:`object_state` / :func:`new_with_state` do this for every attribute of an object.
"""

from __future__ import annotations

import enum
from typing import Any

import domain.enums as _enums
from domain.currencies import Currency
from domain.order_fsm import OrderStatus
from domain.positions import PositionEffect


class StateCodecError(ValueError):
    """A value cannot be encoded, or a document names an unknown enum / tag."""


ENUMS: dict[str, type[enum.Enum]] = {
    name: obj for name, obj in vars(_enums).items()
    if isinstance(obj, type) and issubclass(obj, enum.Enum) and obj.__module__ == _enums.__name__
}
ENUMS.update({"OrderStatus": OrderStatus, "PositionEffect": PositionEffect})


def encode(value: Any) -> Any:
    """Returns ``value`` as JSON-able plain data (see the module contract)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, enum.Enum):
        name = type(value).__name__
        if ENUMS.get(name) is not type(value):
            raise StateCodecError(f"enum {name} is not in the snapshot registry (value {value!r})")
        return {"e": [name, value.value]}
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, Currency):
        return {"c": value.packed}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"t": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"d": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, (set, frozenset)):
        return {"s": sorted(encode(v) for v in value)}
    raise StateCodecError(f"cannot snapshot a value of type {type(value).__name__}: {value!r}")


def decode(doc: Any) -> Any:
    """Inverts :func:`encode`."""
    if isinstance(doc, list):
        return [decode(v) for v in doc]
    if not isinstance(doc, dict):
        return doc
    if len(doc) != 1:
        raise StateCodecError(f"a tagged value has exactly one key, got {sorted(doc)}")
    (tag, body), = doc.items()
    if tag == "e":
        cls = ENUMS.get(body[0])
        if cls is None:
            raise StateCodecError(f"unknown enum {body[0]!r} in a snapshot")
        return cls(body[1])
    if tag == "c":
        return Currency.from_packed(int(body))
    if tag == "t":
        return tuple(decode(v) for v in body)
    if tag == "d":
        return {decode(k): decode(v) for k, v in body}
    if tag == "s":
        return {decode(v) for v in body}
    raise StateCodecError(f"unknown tag {tag!r} in a snapshot")


def attribute_names(obj: Any) -> list[str]:
    """Returns the names of an object's instance attributes (slots of its classes, then dict)."""
    names: list[str] = []
    for cls in reversed(type(obj).__mro__):
        for name in getattr(cls, "__slots__", ()):
            if name not in names and name not in ("__dict__", "__weakref__") and hasattr(obj, name):
                names.append(name)
    names.extend(n for n in getattr(obj, "__dict__", {}) if n not in names)
    return names


def object_state(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Returns every attribute of ``obj`` but ``skip`` as encoded plain data."""
    return {n: encode(getattr(obj, n)) for n in attribute_names(obj) if n not in skip}


def new_with_state(cls: type, state: dict[str, Any], **extra: Any) -> Any:
    """Returns a ``cls`` instance (``__init__`` not called) with the decoded ``state`` and ``extra``
    attributes set."""
    obj = cls.__new__(cls)
    for name, value in state.items():
        setattr(obj, name, decode(value))
    for name, value in extra.items():
        setattr(obj, name, value)
    return obj
