"""Causal trace of a record: back along ``cause`` to the input that started it, and forward to
what it caused.

Design contract:
- ``cause`` is the seq of the record the kernel was processing when a record was produced (0 for
  inputs, except a live venue's order events: the SUBMIT_ORDER of their order), so following
  it from any record ends at an INPUT record (a fill -> the order -> the risk decision -> the
  strategy command -> the market data that triggered it);
- effects are found by a forward scan of at most ``window`` records after the traced one: a
  record is an effect when its cause is the traced record or one of its effects (transitive);
- a chain that points at a seq the journal does not hold, or forward (a cause >= the record's
  own seq), raises :class:`TraceError` naming both seqs; nothing is executed, only read.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from domain.codec import RecordError
from domain.enums import RecordFlag
from domain.strings import StringTable
from journal.reader import JournalReader
from replay.testing.pretty import decoded, format_record, strings_until

INPUT = int(RecordFlag.INPUT)
DEFAULT_WINDOW = 200_000


class TraceError(ValueError):
    """A seq to trace is not in the journal, or a cause chain is broken."""


def record_dict(record: np.ndarray, strings: StringTable | None = None) -> dict[str, Any]:
    """Returns a record as JSON-able data: kind name, header, decoded payload (prices as
    decimal strings, enums by name, interned ids as text with ``strings``) and a readable line
    (:func:`replay.testing.pretty.decoded`)."""
    try:
        out = decoded(record, strings)
    except RecordError as exc:
        return {"seq": int(record["seq"][0]), "error": str(exc)}
    return {**out, "text": format_record(record, strings)}


@attrs.frozen
class Trace:
    """The record at ``seq``, its cause chain (nearest cause first, the input last) and the
    records it caused (in seq order)."""

    seq: int
    record: np.ndarray
    chain: tuple[np.ndarray, ...]
    effects: tuple[np.ndarray, ...]
    effects_truncated: bool
    #: The journal's strings up to the last record shown: interned ids print as text.
    strings: StringTable | None = None

    def to_dict(self) -> dict[str, Any]:
        s = self.strings
        return {
            "seq": self.seq, "record": record_dict(self.record, s),
            "chain": [record_dict(r, s) for r in self.chain],
            "effects": [record_dict(r, s) for r in self.effects],
            "effects_truncated": self.effects_truncated,
        }

    def format(self) -> str:
        """Returns the trace as text: the chain from the input down to the record, then effects."""
        s = self.strings
        lines = ["cause chain (input first):"]
        for rec in reversed(self.chain):
            lines.append("  " + format_record(rec, s))
        lines.append("> " + format_record(self.record, s))
        lines.append(f"caused ({len(self.effects)} records"
                     + (", scan window reached" if self.effects_truncated else "") + "):")
        lines.extend("  " + format_record(r, s) for r in self.effects)
        return "\n".join(lines)


def cause_chain(reader: JournalReader, seq: int) -> list[np.ndarray]:
    """Returns the records on the cause chain of ``seq`` (its cause first), ending at an input
    without a cause. An input may have one: a live venue's order event names the SUBMIT_ORDER
    that sent its order, so a fill traces back to the quote the strategy acted on."""
    chain: list[np.ndarray] = []
    rec = _record(reader, seq)
    while int(rec["cause"][0]):
        cause = int(rec["cause"][0])
        if cause >= int(rec["seq"][0]):
            raise TraceError(f"seq {int(rec['seq'][0])}: cause {cause} is not an earlier record")
        rec = _record(reader, cause, f"cause of seq {int(rec['seq'][0])}")
        chain.append(rec)
    return chain


def effects_of(reader: JournalReader, seq: int, window: int = DEFAULT_WINDOW
               ) -> tuple[list[np.ndarray], bool]:
    """Returns (records caused by ``seq`` directly or transitively, whether the window ended
    before the journal did)."""
    caused = {seq}
    found: list[np.ndarray] = []
    last = reader.last_seq()
    top = min(last, seq + window)
    for batch in reader.batches(seq + 1, top):
        causes = batch["cause"]
        for i in np.flatnonzero(causes >= seq).tolist():
            if int(causes[i]) in caused:
                caused.add(int(batch["seq"][i]))
                found.append(batch[i : i + 1].copy())
    return found, top < last


def trace(reader: JournalReader, seq: int, window: int = DEFAULT_WINDOW) -> Trace:
    """Returns the :class:`Trace` of the record ``seq``."""
    record = _record(reader, seq)
    effects, truncated = effects_of(reader, seq, window)
    last = int(effects[-1]["seq"][0]) if effects else seq
    return Trace(seq, record, tuple(cause_chain(reader, seq)), tuple(effects), truncated,
                 strings_until(reader, last))


def _record(reader: JournalReader, seq: int, what: str = "seq") -> np.ndarray:
    rec = reader.record(seq)
    if rec is None:
        raise TraceError(f"{what} {seq} is not in the journal (it holds seq 1..{reader.last_seq()})")
    return rec
