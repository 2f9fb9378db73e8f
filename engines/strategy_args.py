"""Type checks of the Strategy API's arguments: a wrong type is a programming error in the
strategy, raised at once as a TypeError naming the method, the parameter, the expected type and
what was given (never a confusing error deeper down, never a record)."""

from __future__ import annotations

from typing import Any


def _wrong(method: str, name: str, expected: str, value: Any, hint: str = "") -> TypeError:
    return TypeError(f"{method}({name}): expected {expected}, got {type(value).__name__} "
                     f"{value!r}{hint}")


def expect_int(method: str, name: str, value: Any, what: str = "an int") -> int:
    """Returns ``value`` when it is an int (not a bool), else raises TypeError."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _wrong(method, name, what, value)


def expect_instrument(method: str, value: Any, optional: bool = False) -> Any:
    """Returns ``value`` when it names an instrument (``"SYMBOL.VENUE"`` or its int id)."""
    if (value is None and optional) or isinstance(value, str) or (
            isinstance(value, int) and not isinstance(value, bool)):
        return value
    expected = "an instrument as 'SYMBOL.VENUE' or its int id" + (" (or None)" if optional else "")
    return _raise(_wrong(method, "instrument", expected, value))


def expect_type(method: str, name: str, value: Any, cls: type, hint: str = "") -> Any:
    """Returns ``value`` when it is an instance of ``cls``, else raises TypeError."""
    if isinstance(value, cls):
        return value
    return _raise(_wrong(method, name, f"a {cls.__name__}", value, hint))


def _raise(exc: TypeError) -> Any:
    raise exc
