"""Positional record emitters write the same bytes as ``ctx.emit`` with keyword fields."""

from __future__ import annotations

import pytest

from domain.codec import RecordError
from domain.kinds import Kind
from domain.strings import StringTable
from engines.context import EmitNotAllowed, KernelContext
from engines.emit_buffer import EmitBuffer
from engines.record_emitter import RecordEmitter
from engines.scheduler import Scheduler

FILL_NAMES = ("client_order_id", "instrument_id", "strategy_id", "venue_order_id", "trade_id",
              "position_id", "side", "liquidity_side", "price_precision", "size_precision",
              "account_id", "last_qty", "last_px", "commission", "commission_currency")
FILL_VALUES = (7, 3, 2, 11, 5, 9, 1, 2, 5, 0, 4, 100_000, 110_003, -12, 0x555344)


def context() -> tuple[KernelContext, EmitBuffer]:
    outbox = EmitBuffer()
    ctx = KernelContext(StringTable(), Scheduler(), outbox)
    ctx.now_ns, ctx.current_seq = 1_700_000_000_123_456_789, 42
    return ctx, outbox


def test_an_emitted_fill_has_the_bytes_of_the_keyword_emit() -> None:
    ctx, outbox = context()
    ctx.emit(Kind.ORDER_FILLED, 6, **dict(zip(FILL_NAMES, FILL_VALUES, strict=True)))
    RecordEmitter(Kind.ORDER_FILLED, FILL_NAMES).emit(ctx, 6, *FILL_VALUES)
    records = outbox.take()
    assert len(records) == 2 and records[0].tobytes() == records[1].tobytes()
    assert int(records[1]["cause"]) == 42 and int(records[1]["ts_init"]) == ctx.now_ns


def test_fields_not_given_keep_their_schema_defaults_including_null_prices() -> None:
    ctx, outbox = context()
    names = ("client_order_id", "instrument_id", "strategy_id", "venue_order_id")
    ctx.emit(Kind.ORDER_UPDATED, 1, **dict(zip(names, (1, 2, 3, 4), strict=True)))
    RecordEmitter(Kind.ORDER_UPDATED, names).emit(ctx, 1, 1, 2, 3, 4)
    records = outbox.take()
    assert records[0].tobytes() == records[1].tobytes()


def test_an_unknown_or_header_field_is_refused_at_construction_naming_it() -> None:
    with pytest.raises(RecordError, match="'no_such_field'"):
        RecordEmitter(Kind.ORDER_ACCEPTED, ("client_order_id", "no_such_field"))
    with pytest.raises(RecordError, match="'cause'"):
        RecordEmitter(Kind.ORDER_ACCEPTED, ("cause",))


def test_a_value_that_does_not_fit_is_refused_naming_the_field() -> None:
    ctx, _ = context()
    emitter = RecordEmitter(Kind.ORDER_ACCEPTED, ("client_order_id", "venue_order_id"))
    with pytest.raises(RecordError, match="venue_order_id"):
        emitter.emit(ctx, 1, 5, -1)


def test_a_wrong_number_of_values_is_refused() -> None:
    ctx, _ = context()
    with pytest.raises(ValueError):
        RecordEmitter(Kind.ORDER_ACCEPTED, ("client_order_id", "venue_order_id")).emit(ctx, 1, 5)


def test_emitting_in_the_state_stage_is_not_allowed() -> None:
    ctx, _ = context()
    ctx.enter_stage("state", None)
    with pytest.raises(EmitNotAllowed):
        RecordEmitter(Kind.ORDER_ACCEPTED, ("client_order_id",)).emit(ctx, 1, 5)


def test_every_kind_with_no_payload_given_matches_the_keyword_emit() -> None:
    from domain.codec import RAW_TUPLES

    ctx, outbox = context()
    for kind in sorted(RAW_TUPLES):
        ctx.emit(kind, 3)
        RecordEmitter(kind, ()).emit(ctx, 3)
        a, b = outbox.take()
        assert a.tobytes() == b.tobytes(), kind


def test_every_kind_with_every_payload_field_matches_the_keyword_emit() -> None:
    """In offset order most emitters take the direct pack (no reordering); reversed, only those
    with at most one payload field can: both give the keyword emit's bytes."""
    from domain.codec import RAW_STRUCTS, RAW_TUPLES

    ctx, outbox = context()
    header = {"seq", "ts_event", "ts_init", "cause", "kind", "flags", "source"}
    direct = {False: 0, True: 0}
    for reverse in (False, True):
        for kind in sorted(RAW_TUPLES):
            names = [n for n in RAW_TUPLES[kind]._fields if n not in header]
            if reverse:
                names.reverse()
            zero = dict(zip(RAW_TUPLES[kind]._fields, RAW_STRUCTS[kind].unpack(bytes(128)),
                            strict=True))
            values = [b"ab" if isinstance(zero[n], bytes) else 1 + i % 3
                      for i, n in enumerate(names)]
            ctx.emit(kind, 3, **dict(zip(names, values, strict=True)))
            emitter = RecordEmitter(kind, names)
            direct[reverse] += emitter._direct
            emitter.emit(ctx, 3, *values)
            a, b = outbox.take()
            assert a.tobytes() == b.tobytes(), (kind, reverse)
    assert direct[False] > direct[True] + 10
