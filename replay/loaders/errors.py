"""The errors data loaders raise for bad input.

Contract: the message reads ``path:line: field 'bid' has value 'nan': <why>``; ``line`` is 1-based
(the header, when there is one, is line 1), or a record index for binary files; a value longer
than 80 characters is shown cut, with its length.
"""

from __future__ import annotations

_SHOWN = 80


class LoaderError(ValueError):
    """Base of every loader error: catch this to handle any bad data file."""


class DataError(LoaderError):
    """Bad input data, located by ``path``, ``line``, ``field`` and ``value``."""

    def __init__(self, path: str, line: int, field: str, value: object, why: str) -> None:
        shown = value
        if isinstance(value, str | bytes) and len(value) > _SHOWN:
            shown = f"{value[:_SHOWN]!r}... ({len(value)} characters)"
            super().__init__(f"{path}:{line}: field {field!r} has value {shown}: {why}")
        else:
            super().__init__(f"{path}:{line}: field {field!r} has value {value!r}: {why}")
        self.path, self.line, self.field, self.value, self.why = path, line, field, value, why
