"""Diff of two journals: the first seq where they differ, and counts of what differs after it.

Design contract:
- records are compared byte for byte at equal seqs; the first difference (or the first seq one
  journal has and the other lacks) is reported with both records decoded;
- after it, the counts: records at the same seq that differ, records only in A or only in B, and
  per kind the number of records each journal holds from the divergence on (kinds whose
  counts differ), so "B has 3 more ORDER_FILLED" reads directly;
- both journals are read chunk by chunk, checked (a corrupt batch raises CorruptionError naming
  its seq range and file); nothing is executed.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from domain.codec import kind_name
from journal.reader import JournalReader
from replay.trace import record_dict

CHUNK = 1 << 16


@attrs.frozen
class DiffResult:
    """Where two journals diverge (``seq`` 0 when they are identical) and what differs after."""

    path_a: str
    path_b: str
    last_a: int
    last_b: int
    seq: int
    record_a: dict[str, Any] | None
    record_b: dict[str, Any] | None
    n_differing: int
    only_a: int
    only_b: int
    kinds: dict[str, tuple[int, int]]

    @property
    def identical(self) -> bool:
        return self.seq == 0

    def to_dict(self) -> dict[str, Any]:
        return {"identical": self.identical, "a": self.path_a, "b": self.path_b,
                "last_seq_a": self.last_a, "last_seq_b": self.last_b,
                "first_divergent_seq": self.seq or None, "record_a": self.record_a,
                "record_b": self.record_b, "n_differing": self.n_differing,
                "only_a": self.only_a, "only_b": self.only_b,
                "kinds_after": {k: {"a": a, "b": b} for k, (a, b) in self.kinds.items()}}

    def format(self) -> str:
        if self.identical:
            return f"identical: {self.path_a} and {self.path_b} hold the same {self.last_a} records"
        lines = [f"first divergent seq {self.seq}",
                 f"  A: {self.record_a['text'] if self.record_a else '(no record)'}",
                 f"  B: {self.record_b['text'] if self.record_b else '(no record)'}",
                 f"after it: {self.n_differing} records differ at the same seq, "
                 f"{self.only_a} only in A ({self.last_a} records), "
                 f"{self.only_b} only in B ({self.last_b} records)"]
        lines += [f"  {k:<20} A {a:>8}  B {b:>8}" for k, (a, b) in self.kinds.items()]
        return "\n".join(lines)


def _rows(records: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(records).view(np.uint8).reshape(-1, 128)


def diff(reader_a: JournalReader, reader_b: JournalReader) -> DiffResult:
    """Compares the journals of two readers; see the module contract."""
    last_a, last_b = reader_a.last_seq(), reader_b.last_seq()
    common = min(last_a, last_b)
    first = 0
    n_diff = 0
    for lo in range(1, common + 1, CHUNK):
        hi = min(common, lo + CHUNK - 1)
        a, b = reader_a.records_between(lo, hi), reader_b.records_between(lo, hi)
        if a.tobytes() == b.tobytes():
            continue
        rows = (_rows(a) != _rows(b)).any(axis=1)
        if not first:
            first = lo + int(np.flatnonzero(rows)[0])
        n_diff += int(rows.sum())
    if not first and last_a != last_b:
        first = common + 1
    if not first:
        return DiffResult(str(reader_a.journal.path), str(reader_b.journal.path), last_a, last_b,
                          0, None, None, 0, 0, 0, {})
    rec_a, rec_b = reader_a.record(first), reader_b.record(first)
    counts_a = _kind_counts(reader_a, first)
    counts_b = _kind_counts(reader_b, first)
    kinds = {kind_name(k): (counts_a.get(k, 0), counts_b.get(k, 0))
             for k in sorted(set(counts_a) | set(counts_b))
             if counts_a.get(k, 0) != counts_b.get(k, 0)}
    return DiffResult(
        str(reader_a.journal.path), str(reader_b.journal.path), last_a, last_b, first,
        None if rec_a is None else record_dict(rec_a), None if rec_b is None else record_dict(rec_b),
        n_diff, max(0, last_a - common), max(0, last_b - common), kinds)


def _kind_counts(reader: JournalReader, from_seq: int) -> dict[int, int]:
    counts: dict[int, int] = {}
    for batch in reader.batches(from_seq):
        kinds, n = np.unique(batch["kind"], return_counts=True)
        for k, c in zip(kinds.tolist(), n.tolist(), strict=True):
            counts[k] = counts.get(k, 0) + c
    return counts
