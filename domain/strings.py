"""The string table: interned strings, derived from STRING records.

Design contract:
- ids are assigned in order from 1 by whoever produces records (the kernel); id 0 means "none";
- a string is defined once; redefining an id with other text is an error (the log is corrupt);
- the table is a pure fold over STRING records, so a reader rebuilds it exactly by replay.
"""

from __future__ import annotations

import numpy as np

from domain.codec import (
    RecordError,
    as_kind,
    join_string_parts,
    string_record_bytes,
    string_records,
)
from domain.kinds import Kind


class StringTable:
    """Maps interned ids to texts and back."""

    __slots__ = ("_by_id", "_by_text", "_next_id", "_pending")

    def __init__(self) -> None:
        self._by_id: dict[int, str] = {}
        self._by_text: dict[str, int] = {}
        self._next_id = 1
        self._pending: dict[int, list[bytes]] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, string_id: int) -> bool:
        return string_id in self._by_id

    def get(self, string_id: int, default: str | None = None) -> str | None:
        """Returns the text of ``string_id``, or ``default`` when it is not defined."""
        return self._by_id.get(string_id, default)

    def text(self, string_id: int) -> str:
        """Returns the text of ``string_id``; raises KeyError naming the id when undefined."""
        try:
            return self._by_id[string_id]
        except KeyError:
            raise KeyError(f"string id {string_id} is not defined") from None

    def id_of(self, text: str) -> int | None:
        """Returns the id of ``text``, or None when it has not been interned."""
        return self._by_text.get(text)

    def intern(self, text: str) -> tuple[int, np.ndarray | None]:
        """Returns ``(id, records)``: the id of ``text`` and the STRING records that define it,
        or ``None`` when it was already defined. The caller publishes the records; the table
        already counts them as applied."""
        existing = self._by_text.get(text)
        if existing is not None:
            return existing, None
        string_id = self._next_id
        records = string_records(string_id, text)
        self._define(string_id, text)
        return string_id, records

    def intern_packed(self, text: str, ts_ns: int, cause: int, source: int
                      ) -> tuple[int, bytes | None]:
        """Like :meth:`intern`, the records as bytes with their header set
        (:func:`domain.codec.string_record_bytes`)."""
        existing = self._by_text.get(text)
        if existing is not None:
            return existing, None
        string_id = self._next_id
        data = string_record_bytes(string_id, text, ts_ns, cause, source)
        self._define(string_id, text)
        return string_id, data

    def apply(self, record: np.ndarray) -> None:
        """Applies one STRING record (shape ``(1,)`` or a scalar record)."""
        typed = as_kind(np.asarray(record).reshape(1), Kind.STRING)[0]
        self.apply_part(int(typed["seq"]), int(typed["string_id"]), int(typed["part"]),
                        int(typed["n_parts"]), bytes(typed["text"]))

    def apply_part(self, seq: int, string_id: int, part: int, n_parts: int, text: bytes) -> None:
        """Applies one STRING record given by its fields (``text`` without its NUL padding;
        ``seq`` names the record in errors)."""
        parts = self._pending.setdefault(string_id, [])
        if part != len(parts) or part >= n_parts:
            raise RecordError(
                f"seq {seq}: string {string_id} part {part} of {n_parts} "
                f"out of order (expected part {len(parts)})"
            )
        parts.append(text)
        if len(parts) == n_parts:
            del self._pending[string_id]
            whole = join_string_parts(parts)
            known = self._by_id.get(string_id)
            if known is not None and known != whole:
                raise RecordError(
                    f"seq {seq}: string {string_id} redefined as {whole!r}, was {known!r}"
                )
            self._define(string_id, whole)

    def _define(self, string_id: int, text: str) -> None:
        self._by_id[string_id] = text
        self._by_text.setdefault(text, string_id)
        self._next_id = max(self._next_id, string_id + 1)

    def items(self) -> list[tuple[int, str]]:
        """Returns (id, text) pairs in id order."""
        return sorted(self._by_id.items())
