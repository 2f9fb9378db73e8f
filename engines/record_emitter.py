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

import operator
import re
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

from domain.codec import RAW_STRUCTS, RAW_TUPLES, RecordError, kind_name, packer
from domain.kinds import KIND_DTYPES, RECORD_DTYPE
from engines.context import KernelContext
from engines.emit_buffer import EmitBuffer

_HEADER_SET = ("ts_event", "ts_init", "cause", "source")
_TOKEN = re.compile(r"(\d*)([a-zA-Z?])")


def _field_codes(kind: int) -> dict[str, str]:
    """Returns each field's struct code, read from the kind's full raw struct (offset order)."""
    tokens = _TOKEN.findall(RAW_STRUCTS[kind].format.lstrip("<=>!@"))
    codes = [count + code for count, code in tokens if code != "x"]
    return dict(zip(RAW_TUPLES[kind]._fields, codes, strict=True))


class RecordEmitter:
    """Emits records of one kind from positional payload values (see the module contract).

    One struct covers the whole record: the header fields set per emit, the given payload
    fields, the fields whose schema default is not zero (as constants, e.g. ``kind`` and NULL
    prices) and zero pad bytes for everything else; the values are put in offset order by one
    C-level ``itemgetter``.
    """

    __slots__ = ("kind", "names", "_n", "_pack", "_order", "_consts", "_direct")

    def __init__(self, kind: int, names: Sequence[str]) -> None:
        fields = RAW_TUPLES[kind]._fields
        for name in names:
            if name not in fields or name in _HEADER_SET or name in ("seq", "kind", "flags"):
                raise RecordError(f"kind {kind_name(kind)}: {name!r} is not a payload field")
        self.kind = kind
        self.names = tuple(names)
        self._n = len(names)
        defaults = dict(zip(fields, RAW_STRUCTS[kind].unpack(packer(kind).pack()), strict=True))
        consts = {n: v for n, v in defaults.items()
                  if v and n not in self.names and n not in _HEADER_SET}
        self._consts = tuple(consts.values())
        given = (*_HEADER_SET, *self.names, *consts)  # the order values arrive in
        dtype = KIND_DTYPES[kind]
        codes = _field_codes(kind)
        parts, order, pos = ["<"], [], 0
        for name in sorted(given, key=lambda n: dtype.fields[n][1]):
            sub, offset = dtype.fields[name][0], dtype.fields[name][1]
            if offset > pos:
                parts.append(f"{offset - pos}x")
            parts.append(codes[name])
            order.append(given.index(name))
            pos = offset + sub.itemsize
        if pos < dtype.itemsize:
            parts.append(f"{dtype.itemsize - pos}x")
        self._pack = struct.Struct("".join(parts)).pack
        self._order = operator.itemgetter(*order)
        # When the values arrive as (ts_event, ts_init, cause, kind, source, *payload) in offset
        # order and no other field has a non-zero default, they need no reordering (the usual
        # emitter: about a third of a pack was the reorder)
        self._direct = consts == {"kind": kind} and \
            order == [0, 1, 2, len(given) - 1, 3, *range(4, 4 + self._n)]

    def pack(self, ctx: KernelContext, source_id: int, values: Sequence[Any]) -> bytes:
        """Returns the record's bytes stamped with kernel time and cause (not emitted)."""
        if len(values) != self._n:
            raise ValueError(f"kind {kind_name(self.kind)}: {len(values)} values given for "
                             f"{self._n} fields {self.names}")
        now = ctx.now_ns
        try:
            if self._direct:
                return self._pack(now, now, ctx.current_seq, self.kind, source_id, *values)
            return self._pack(*self._order((now, now, ctx.current_seq, source_id, *values,
                                            *self._consts)))
        except struct.error:
            # The keyword packer names the field that does not fit.
            packer(self.kind).pack(ts_event=now, ts_init=now, cause=ctx.current_seq,
                                   source=source_id, **dict(zip(self.names, values, strict=True)))
            raise

    def emit(self, ctx: KernelContext, source_id: int, *values: Any) -> None:
        """Emits one record with ``values`` for ``names`` (in order) into the stage's outbox."""
        outbox = ctx._outbox
        if outbox is None:
            ctx._require_outbox()  # raises EmitNotAllowed (the state stage)
        if self._direct and type(outbox) is EmitBuffer:
            # :meth:`pack`'s usual case inline (a call less per record emitted); a value that
            # does not fit, or a wrong number of values (struct.error too), goes through
            # ``pack`` for the error naming the field or the count
            now = ctx.now_ns
            try:
                outbox._pending += self._pack(now, now, ctx.current_seq, self.kind, source_id,
                                              *values)
                return
            except struct.error:
                pass
        data = self.pack(ctx, source_id, values)
        if type(outbox) is EmitBuffer:  # the kernel's outbox: one whole record, appended as is
            outbox._pending += data
        else:
            emit_packed(outbox, data)


def emit_packed(outbox: Any, data: bytes) -> None:
    """Queues packed records (whole records, e.g. several :meth:`RecordEmitter.pack` results
    joined) into ``outbox`` (``ctx._require_outbox()``), in order."""
    emit_bytes = getattr(outbox, "emit_bytes", None)
    if emit_bytes is not None:
        emit_bytes(data)
    else:
        outbox.emit(np.frombuffer(data, dtype=RECORD_DTYPE))  # an array of one or more records
