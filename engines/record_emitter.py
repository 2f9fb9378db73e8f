"""Positional record emitters: the hot-path twin of ``KernelContext.emit`` for fixed field sets.

Design contract:
- a :class:`RecordEmitter` is built once per (kind, payload field names) and emits records whose
  bytes are exactly those of ``ctx.emit(kind, source_id, **dict(zip(names, values)))``: header
  ``ts_event = ts_init = ctx.now_ns``, ``cause = ctx.current_seq``, flags 0, every other field
  at its schema default (zero, or NULL for optional prices / quantities);
- unknown field names are refused at construction (RecordError naming the kind and field); a
  value that does not fit its field raises RecordError naming the field when emitted;
- emitting outside a stage that may emit raises ``EmitNotAllowed`` (as ``ctx.emit``).

Why: the order cascade of a trading backtest emits ~6 records per order from the risk engine,
the execution engine and the simulated exchange; building a keyword dict per record and matching
names per field cost about half of each emit (perf/backtest_run.py ``ema_cross``).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

from domain.codec import RAW_STRUCTS, RAW_TUPLES, RecordError, kind_name, packer
from domain.kinds import RECORD_DTYPE
from engines.context import KernelContext

_HEADER_SET = ("ts_event", "ts_init", "cause", "source")


class RecordEmitter:
    """Emits records of one kind from positional payload values (see the module contract)."""

    __slots__ = ("kind", "names", "_struct", "_row", "_at", "_header_at")

    def __init__(self, kind: int, names: Sequence[str]) -> None:
        fields = RAW_TUPLES[kind]._fields
        index = {name: i for i, name in enumerate(fields)}
        for name in names:
            if name not in index or name in _HEADER_SET or name in ("seq", "kind", "flags"):
                raise RecordError(f"kind {kind_name(kind)}: {name!r} is not a payload field")
        self.kind = kind
        self.names = tuple(names)
        self._struct: struct.Struct = RAW_STRUCTS[kind]
        # The schema defaults, exactly as the keyword packer fills them.
        self._row = list(self._struct.unpack(packer(kind).pack()))
        self._header_at = tuple(index[name] for name in _HEADER_SET)
        self._at = tuple(index[name] for name in names)

    def pack(self, ctx: KernelContext, source_id: int, values: Sequence[Any]) -> bytes:
        """Returns the record's bytes stamped with kernel time and cause (not emitted)."""
        row = self._row.copy()
        i_event, i_init, i_cause, i_source = self._header_at
        row[i_event] = row[i_init] = ctx.now_ns
        row[i_cause] = ctx.current_seq
        row[i_source] = source_id
        for i, value in zip(self._at, values, strict=True):
            row[i] = value
        try:
            return self._struct.pack(*row)
        except struct.error:
            # The keyword packer names the field that does not fit.
            packer(self.kind).pack(ts_event=ctx.now_ns, ts_init=ctx.now_ns,
                                   cause=ctx.current_seq, source=source_id,
                                   **dict(zip(self.names, values, strict=True)))
            raise

    def emit(self, ctx: KernelContext, source_id: int, *values: Any) -> None:
        """Emits one record with ``values`` for ``names`` (in order) into the stage's outbox."""
        outbox = ctx._require_outbox()  # raises EmitNotAllowed in the state stage
        data = self.pack(ctx, source_id, values)
        emit_bytes = getattr(outbox, "emit_bytes", None)
        if emit_bytes is not None:
            emit_bytes(data)
        else:
            outbox.emit_one(np.frombuffer(data, dtype=RECORD_DTYPE))
