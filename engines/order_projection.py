"""An order's status once the events already emitted in this cascade are applied.

Design contract:
- a command handled in the ``engines`` stage sees the cache as of the record being handled; ORDER_*
  events emitted earlier in the same cascade (a cancel's PENDING_CANCEL and the venue's
  CANCELED, a fill from a modify) wait in the outbox, or in the ring behind the current record,
  and are applied after. A second command
  for the same order decided on the cache alone would emit an event the state machine refuses
  (``ORDER_PENDING_CANCEL`` in status CANCELED): the kernel would stop;
- :func:`projected_status` walks the order's pending events through the state machine (the same
  table the cache uses) and returns where the order will be, so the command can be rejected
  with a reason instead; it reads the ring and the outbox and never changes them;
- an event the table refuses ends the walk at the status reached (the cache reports it).
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from domain.kinds import Kind
from domain.order_fsm import TRANSITIONS, InvalidTransition, OrderStatus, next_status
from engines.emit_buffer import EmitBuffer

#: The header ``kind``, the order reference and ORDER_FILLED's ``last_qty``: the same offsets in
#: every ORDER_* kind (schema: ``client_order_id`` is each order kind's first field).
_KIND = struct.Struct("<H").unpack_from
_QTY = struct.Struct("<q").unpack_from
_COID_KEY = struct.Struct("<Q").pack
_REF = 40  # byte offset of ``client_order_id`` in every ORDER_* record
_FIRST, _LAST = int(Kind.ORDER_DENIED), int(Kind.ORDER_FILLED)
_FILLED = int(Kind.ORDER_FILLED)
_PENDING = (OrderStatus.PENDING_UPDATE, OrderStatus.PENDING_CANCEL)


def _final_statuses() -> frozenset[OrderStatus]:
    """The statuses no event leads out of: every row of the table from them leads back to them
    (DENIED, REJECTED, EXPIRED, FILLED; a CANCELED order may still fill)."""
    rows: dict[OrderStatus, set[Any]] = {}
    for (source, _kind), target in TRANSITIONS.items():
        rows.setdefault(source, set()).add(target)
    return frozenset(s for s in OrderStatus if rows.get(s, {s}) == {s})


#: An order in one of these is there once any events apply (the walk cannot leave it).
_FINAL = _final_statuses()


def pending_order_events(ctx: Any, client_order_id: int) -> list[tuple[int, int]]:
    """Returns ``(kind, last_qty)`` of the ORDER_* events of the order that the cache has not
    applied yet, in the order it will apply them: those published after ``current_seq`` and not
    handled yet (later in the same batch), then those emitted and not yet published."""
    out: list[tuple[int, int]] = []
    ring = getattr(ctx, "ring", None)
    if ring is not None and ring.cursor > ctx.current_seq > 0:
        lo = max(ctx.current_seq + 1, ring.cursor - ring.capacity + 1)
        mem = getattr(ctx, "ring_bytes", None)
        if mem is not None:  # the kernel's: read the slots in place
            _scan_slots(mem, ring.capacity - 1, lo, ring.cursor, client_order_id, out)
        else:
            for view in ring.views(lo, ring.cursor):
                _scan(memoryview(view.view(np.uint8)), client_order_id, out)
    pending = getattr(ctx._outbox, "_pending", None)
    if isinstance(pending, bytearray):  # the kernel's EmitBuffer
        if pending:
            _find(pending, _COID_KEY(client_order_id), out)
    elif pending:  # a ringbus Outbox: a list of record arrays
        for arr in pending:
            _scan(memoryview(np.ascontiguousarray(arr).view(np.uint8).reshape(-1)),
                  client_order_id, out)
    return out


def _scan(buf: memoryview, client_order_id: int, out: list[tuple[int, int]]) -> None:
    """Appends the ORDER_* events of the order among the 128-byte records of ``buf``."""
    _find(bytes(buf[: len(buf) & ~127]), _COID_KEY(client_order_id), out)


def _find(data: bytes | bytearray, key: bytes, out: list[tuple[int, int]]) -> None:
    """Appends ``(kind, last_qty)`` of the ORDER_* records of ``data`` (whole records) whose
    order reference is ``key`` (the id's 8 bytes): a C-level search for the id, then the kind
    of each record it is found in at the reference's offset (a cascade's run holds a handful
    of records, and a Python loop over them cost more than the search)."""
    i = data.find(key, _REF)
    while i >= 0:
        off = i - _REF
        if not off & 127:
            (kind,) = _KIND(data, off + 32)
            if _FIRST <= kind <= _LAST:
                out.append((kind, _QTY(data, off + 88)[0] if kind == _FILLED else 0))
        i = data.find(key, (off | 127) + 1 + _REF)  # at the next record's reference


def _scan_slots(mem: memoryview, mask: int, lo: int, hi: int, client_order_id: int,
                out: list[tuple[int, int]]) -> None:
    """:func:`_scan` over the ring slots of seqs ``lo..hi`` (``mem``: the whole ring's bytes)."""
    if lo > hi:
        return
    key = _COID_KEY(client_order_id)
    a, b = lo & mask, hi & mask
    if a <= b:
        _find(bytes(mem[a << 7 : (b + 1) << 7]), key, out)
    else:  # the range wraps: the slots to the end of the ring, then from its start
        _find(bytes(mem[a << 7 :]), key, out)
        _find(bytes(mem[: (b + 1) << 7]), key, out)


def projected_status(ctx: Any, order: Any) -> OrderStatus:
    """Returns the status ``order`` will have once its pending events are applied."""
    status = order.status
    if status in _FINAL:  # e.g. the OCO partner that filled, the denied order of a list
        return status
    outbox = ctx._outbox
    mem = getattr(ctx, "ring_bytes", None) if type(outbox) is EmitBuffer else None
    if mem is not None:
        # The kernel's context (every command handler's): the ring's slots read in place and
        # the outbox's bytes searched without the general path's per-call probing (read for
        # about every order command of a bracket: perf/backtest_brackets.py).
        seq = ctx.current_seq
        pending = outbox._pending
        ring = ctx.ring
        cursor = ring.cursor
        if cursor <= seq:  # nothing published after this record (the usual case): the outbox
            if not pending:
                return status
            key = _COID_KEY(order.client_order_id)
            if pending.find(key, _REF) < 0:
                return status
        else:
            key = _COID_KEY(order.client_order_id)
        events: list[tuple[int, int]] = []
        if cursor > seq > 0:
            mask = ring.capacity - 1
            a, b = max(seq + 1, cursor - mask) & mask, cursor & mask
            if a <= b:  # one C-level search first: the order is usually in none of the slots
                data = bytes(mem[a << 7 : (b + 1) << 7])
                if data.find(key, _REF) >= 0:
                    _find(data, key, events)
            else:
                _scan_slots(mem, mask, max(seq + 1, cursor - mask), cursor,
                            order.client_order_id, events)
        if pending and pending.find(key, _REF) >= 0:
            _find(pending, key, events)
        if not events:
            return status
    else:
        events = pending_order_events(ctx, order.client_order_id)
    return walk(status, order._before_pending, order.filled_raw, order.quantity_raw,
                events)


def walk(status: OrderStatus, previous: OrderStatus, filled: int, quantity: int,
         events: list[tuple[int, int]]) -> OrderStatus:
    """Returns the status reached from ``status`` through ``events`` (``(kind, last_qty)``, in
    order) by the state machine's table; an event it refuses ends the walk (``previous``: the
    status before a pending one, ``filled`` / ``quantity``: the order's, raw)."""
    for kind, last_qty in events:
        if kind == _FILLED:
            filled += last_qty
        new = TRANSITIONS.get((status, kind))
        if type(new) is not OrderStatus:  # a fill's or a reply's target, or no row: resolved
            try:  # (or refused) by the state machine's own call
                new = next_status(status, kind, fully_filled=filled >= quantity,
                                  previous=previous)
            except InvalidTransition:
                break
        if new in _PENDING and status not in _PENDING:
            previous = status
        status = new
    return status

__all__ = ["pending_order_events", "projected_status"]
