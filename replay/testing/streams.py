"""Building record streams: setup records, stamping, and the ``Stream`` value tests pass around.

Contract: a stream built here is a RECORD_DTYPE array whose first records intern the instrument
symbol (STRING, id = the instrument id) and define it (INSTRUMENT); every record carries the
INPUT flag, ``seq`` runs 1..n and ``ts_init`` never decreases (``ts_event == ts_init``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from domain.codec import encode, packer, string_records
from domain.enums import RecordFlag
from domain.instruments import Instrument
from domain.kinds import RECORD_DTYPE, Kind

#: The instrument id (and STRING id of its symbol) of generated streams: high enough not to
#: clash with the ids a kernel interns for its components (1, 2, ...) when fed a stream.
STREAM_INSTRUMENT_ID = 1000
#: ts_init of the setup records and the start of generated data (2024-01-02T00:00:00Z).
T0_NS = 1_704_153_600_000_000_000
INPUT = int(RecordFlag.INPUT)


def setup_records(instrument: Instrument, instrument_id: int = STREAM_INSTRUMENT_ID,
                  ts_ns: int = T0_NS) -> np.ndarray:
    """Returns the STRING (symbol) and INSTRUMENT records that define ``instrument``."""
    strings = string_records(instrument_id, str(instrument.id))
    inst = encode(Kind.INSTRUMENT, **instrument.to_fields(instrument_id))
    out = np.concatenate([strings, inst])
    out["ts_init"] = out["ts_event"] = ts_ns
    out["flags"] = INPUT
    return out


def record(kind: int, ts_ns: int, flags: int = INPUT, **fields: Any) -> np.ndarray:
    """Returns one INPUT record of ``kind`` at ``ts_ns`` with the given raw payload fields
    (shape ``(1,)``, writable; fields not given are zero, optional prices NULL)."""
    data = packer(kind).pack(ts_event=ts_ns, ts_init=ts_ns, flags=flags, **fields)
    return np.frombuffer(bytearray(data), dtype=RECORD_DTYPE)


def stamp(records: np.ndarray, first_seq: int = 1) -> np.ndarray:
    """Returns ``records`` (a copy) with seq ``first_seq..``; raises ValueError naming the index
    where ``ts_init`` decreases."""
    out = np.ascontiguousarray(records).view(RECORD_DTYPE).copy()
    ts = out["ts_init"]
    bad = np.flatnonzero(np.diff(ts) < 0)
    if len(bad):
        i = int(bad[0]) + 1
        raise ValueError(f"stream record {i}: ts_init {int(ts[i])} below the previous "
                         f"{int(ts[i - 1])}")
    out["seq"] = np.arange(first_seq, first_seq + len(out), dtype=np.uint64)
    return out


def concat(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Concatenates record arrays (an empty list gives an empty RECORD_DTYPE array)."""
    if not parts:
        return np.zeros(0, RECORD_DTYPE)
    return np.concatenate([np.asarray(p).view(RECORD_DTYPE) for p in parts])


@attrs.frozen
class Stream:
    """A generated stream and what it was built for. ``records`` is ready to feed anywhere."""

    instrument: Instrument
    records: np.ndarray = attrs.field(eq=False, repr=False)
    instrument_id: int = STREAM_INSTRUMENT_ID

    @property
    def data(self) -> np.ndarray:
        """The records after the setup records (market data only)."""
        kinds = self.records["kind"]
        return self.records[(kinds != Kind.STRING) & (kinds != Kind.INSTRUMENT)]

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        from replay.testing.pretty import format_stream

        return f"Stream({self.instrument.id}, {len(self.records)} records)\n" + \
            format_stream(self.records)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints counterexamples with this: one decoded line per record."""
        printer.text(repr(self))


def build(instrument: Instrument, body: Sequence[np.ndarray],
          instrument_id: int = STREAM_INSTRUMENT_ID) -> Stream:
    """Returns the stream of setup records + ``body`` (records at ts >= T0_NS), stamped."""
    records = stamp(concat([setup_records(instrument, instrument_id), *body]))
    return Stream(instrument, records, instrument_id)
