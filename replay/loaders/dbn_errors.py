"""Errors of the DBN loader; each names the file and the DBN record index (from 0)."""

from __future__ import annotations

from replay.loaders.errors import LoaderError


class DbnError(LoaderError):
    """A DBN file could not be loaded; ``path`` and ``index`` (DBN record, from 0) locate it."""

    def __init__(self, path: str, index: int, message: str) -> None:
        super().__init__(f"{path}: record {index}: {message}")
        self.path, self.index = path, index


class DbnFormatError(DbnError):
    """The file is truncated, corrupt, of an unsupported schema or holds an unexpected record."""


class DbnDataError(DbnError):
    """A record holds a bad value; ``field`` and ``value`` name it."""

    def __init__(self, path: str, index: int, field: str, value: object, rule: str) -> None:
        super().__init__(path, index, f"field {field!r} = {value!r}: {rule}")
        self.field, self.value = field, value
