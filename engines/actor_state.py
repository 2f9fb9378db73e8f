"""The user state of an actor or strategy, as the framework captures it in snapshots.

Design contract:
- the attributes the Actor / Strategy bases set (``framework``: subscriptions, clock, kernel
  references, order factory) are snapshotted by those bases; every other attribute of the
  instance is *user state*;
- user state is captured in one of three ways, chosen by the class:
  1. ``state_fields = ("a", "b")`` declared: those attributes;
  2. ``on_save`` overridden: what it returns (given back to ``on_load``);
  3. neither: every user attribute;
  in cases 1 and 2 :func:`audit` refuses a snapshot (:class:`StateAuditError`, naming the
  component and the attribute) when a user attribute that is not captured differs from its
  value at registration, unless the class lists it in ``derived_fields`` (state its
  ``on_load`` recomputes);
- captured values are plain data (:mod:`engines.state_codec`), deques, and objects (indicators)
  whose attributes are such values; an object is restored IN PLACE into the object of the same
  type the freshly built actor holds: restoring never imports or builds a class the data names;
- :func:`fingerprint` gives every user attribute a canonical, JSON-able form: the snapshot
  digest covers the captured state and the fingerprints of all user attributes.
"""

from __future__ import annotations

import enum
from collections import deque
from typing import Any

from engines.state_codec import StateCodecError, attribute_names, decode, encode

_PLAIN = (type(None), bool, int, float, str)


class StateAuditError(RuntimeError):
    """User state would be lost by a snapshot (or a value cannot be captured)."""


def user_attributes(obj: Any, framework: frozenset[str]) -> list[str]:
    """Returns the names of ``obj``'s user attributes, in definition order."""
    return [n for n in vars(obj) if n not in framework]


def dump(value: Any, where: str) -> Any:
    """Returns ``value`` as JSON-able data :func:`load` restores; ``where`` names it in errors."""
    if isinstance(value, deque):
        return {"q": [[dump(v, f"{where}[{i}]") for i, v in enumerate(value)], value.maxlen]}
    try:
        return encode(value)
    except StateCodecError as exc:
        if _is_object(value):
            return {"o": {n: dump(getattr(value, n), f"{where}.{n}")
                          for n in attribute_names(value)}}
        raise StateAuditError(f"{where}: {exc}; keep plain data, deques or indicator-like "
                              "objects in state, or save it through on_save/on_load") from None


def load(current: Any, doc: Any, where: str) -> Any:
    """Returns the value ``doc`` holds; objects are restored into ``current`` (same type)."""
    if isinstance(doc, dict) and len(doc) == 1 and "o" in doc:
        if not _is_object(current):
            raise StateAuditError(f"{where}: the snapshot holds an object but the freshly built "
                                  f"component holds {current!r}: build it in __init__")
        for name, sub in doc["o"].items():
            setattr(current, name, load(getattr(current, name, None), sub, f"{where}.{name}"))
        return current
    if isinstance(doc, dict) and len(doc) == 1 and "q" in doc:
        items, maxlen = doc["q"]
        return deque((load(None, v, where) for v in items), maxlen=maxlen)
    return decode(doc)


def fingerprint(value: Any) -> Any:
    """Returns a canonical JSON-able form of any attribute value (objects by their attributes,
    anything else by ``repr``)."""
    if isinstance(value, deque):
        return {"q": [fingerprint(v) for v in value]}
    if isinstance(value, (list, tuple)):
        return [fingerprint(v) for v in value]
    if isinstance(value, dict):
        return {"d": [[fingerprint(k), fingerprint(v)] for k, v in value.items()]}
    if isinstance(value, (set, frozenset)):
        return {"s": sorted(repr(v) for v in value)}
    if isinstance(value, enum.Enum):
        return {"e": [type(value).__name__, value.value]}
    if isinstance(value, _PLAIN):
        return value
    if _is_object(value):
        return {"o": [type(value).__qualname__,
                      {n: fingerprint(getattr(value, n)) for n in attribute_names(value)}]}
    return {"r": repr(value)}


def audit(obj: Any, captured: set[str], baseline: dict[str, Any],
          framework: frozenset[str]) -> None:
    """Raises StateAuditError when a user attribute of ``obj`` is neither captured nor derived
    and differs from its ``baseline`` fingerprint (or did not exist at registration)."""
    derived = set(getattr(obj, "derived_fields", ()))
    for name in user_attributes(obj, framework):
        if name in captured or name in derived:
            continue
        if name not in baseline or fingerprint(getattr(obj, name)) != baseline[name]:
            how = "was set after registration" if name not in baseline else \
                "changed since registration"
            raise StateAuditError(
                f"{obj.component_id}: attribute {name!r} {how} but a snapshot would not keep "
                f"it: return it from on_save() (and restore it in on_load), add it to "
                f"state_fields, or list it in derived_fields if on_load recomputes it")


def _is_object(value: Any) -> bool:
    return not isinstance(value, (*_PLAIN, enum.Enum, list, tuple, dict, set, frozenset,
                                  deque)) and hasattr(value, "__dict__") \
        and not callable(value) and type(value).__module__ != "builtins"
