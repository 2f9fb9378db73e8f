"""``pending_order_events`` reads the ring's slots in place (``ctx.ring_bytes``, set by the
kernel) with the same answer as through ring views, also across the ring's wrap."""

from __future__ import annotations

import numpy as np

from domain.codec import encode
from domain.kinds import Kind
from engines.kernel import Kernel
from engines.order_projection import pending_order_events


def _events(n: int) -> np.ndarray:
    kinds = [Kind.ORDER_SUBMITTED, Kind.ORDER_ACCEPTED, Kind.ORDER_FILLED, Kind.QUOTE,
             Kind.ORDER_CANCELED]
    recs = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        if kind == Kind.ORDER_FILLED:
            recs.append(encode(kind, client_order_id=1 + i % 3, last_qty=10 + i))
        elif kind == Kind.QUOTE:
            recs.append(encode(kind, instrument_id=1 + i % 3, bid=1, ask=2))
        else:
            recs.append(encode(kind, client_order_id=1 + i % 3))
    return np.concatenate(recs)


def test_in_place_scan_equals_the_views_scan_across_the_wrap() -> None:
    kernel = Kernel(capacity=16)
    ctx, ring = kernel.ctx, kernel.ring
    assert ctx.ring_bytes is not None
    ring.publish_records(_events(11))  # seqs 1..11; nothing consumes them
    ring.publish_records(_events(13))  # seqs 12..24: slots 12..15, then 0..8
    checked = 0
    for current in range(0, ring.cursor + 1):
        ctx.current_seq = current
        for coid in (1, 2, 3, 4):
            in_place = pending_order_events(ctx, coid)
            mem, ctx.ring_bytes = ctx.ring_bytes, None
            try:
                by_views = pending_order_events(ctx, coid)
            finally:
                ctx.ring_bytes = mem
            assert in_place == by_views, (current, coid)
            checked += len(in_place)
    assert checked > 50
    ctx.current_seq = 20
    assert pending_order_events(ctx, 2) == [(int(Kind.ORDER_SUBMITTED), 0)]  # seq 22


def _naive(data: bytes, coid: int) -> list[tuple[int, int]]:
    """The record-by-record reading the search replaced."""
    import struct

    out = []
    for off in range(0, len(data) - 127, 128):
        (kind,) = struct.unpack_from("<H", data, off + 32)
        if Kind.ORDER_DENIED <= kind <= Kind.ORDER_FILLED and \
                struct.unpack_from("<Q", data, off + 40)[0] == coid:
            out.append((kind, struct.unpack_from("<q", data, off + 88)[0]
                        if kind == Kind.ORDER_FILLED else 0))
    return out


def test_the_id_search_finds_what_a_record_by_record_reading_finds() -> None:
    """The order id's bytes also occur at other offsets (prices, quantities, a QUOTE's fields,
    straddling two records): only a record's own reference counts."""
    from engines.order_projection import _find

    coid = 0x0102030405060708
    recs = _events(40).copy()
    raw = recs.view(np.uint8).reshape(len(recs), 128)
    key = np.frombuffer(coid.to_bytes(8, "little"), dtype=np.uint8)
    for i in range(0, 40, 3):
        raw[i, 40:48] = key  # its own reference (an ORDER_* record, or a QUOTE's field)
    for i, off in ((1, 88), (4, 50), (7, 124), (10, 0)):
        raw[i, off:off + 8] = key[: min(8, 128 - off)]  # elsewhere, and straddling records
        if off + 8 > 128:
            raw[i + 1, : off + 8 - 128] = key[128 - off:]
    data = recs.tobytes()
    for c in (coid, 1, 2, 3, 99):
        out: list[tuple[int, int]] = []
        _find(data, c.to_bytes(8, "little"), out)
        assert out == _naive(data, c), c
        assert bool(out) == (c in (coid, 2, 3)), c  # rows 0, 3, 6...: coid 1 replaced


def test_an_order_in_a_final_status_stays_there_whatever_is_pending() -> None:
    """``projected_status`` answers DENIED / REJECTED / EXPIRED / FILLED without reading the
    ring: by the state machine's table, every event from them leads back or is refused (a
    CANCELED order may still fill, so it is walked)."""
    from domain.order_fsm import InvalidTransition, OrderStatus, next_status
    from engines.order_projection import _FINAL

    final = {OrderStatus.DENIED, OrderStatus.REJECTED, OrderStatus.EXPIRED, OrderStatus.FILLED}
    assert set(_FINAL) == final
    order_kinds = [k for k in Kind if Kind.ORDER_DENIED <= k <= Kind.ORDER_FILLED]
    for status in _FINAL:
        for kind in order_kinds:
            for fully_filled in (False, True):
                try:
                    after = next_status(status, int(kind), fully_filled=fully_filled,
                                        previous=OrderStatus.ACCEPTED)
                except InvalidTransition:
                    continue  # the walk stops here: still ``status``
                assert after == status, (status, kind)
    canceled_fill = next_status(OrderStatus.CANCELED, int(Kind.ORDER_FILLED), fully_filled=False)
    assert canceled_fill == OrderStatus.PARTIALLY_FILLED  # why CANCELED is not final


def test_the_walk_reads_the_table_as_the_state_machine_does() -> None:
    """``walk`` (plain rows read inline) ends where ``next_status`` event by event ends, for
    every status and every sequence of up to three ORDER_* events (partial and full fills)."""
    from itertools import product

    from domain.order_fsm import InvalidTransition, OrderStatus, next_status
    from engines.order_projection import walk

    def by_next_status(status, previous, filled, quantity, events):
        for kind, last_qty in events:
            filled += last_qty if kind == Kind.ORDER_FILLED else 0
            try:
                new = next_status(status, kind, fully_filled=filled >= quantity,
                                  previous=previous)
            except InvalidTransition:
                break
            pending = (OrderStatus.PENDING_UPDATE, OrderStatus.PENDING_CANCEL)
            if new in pending and status not in pending:
                previous = status
            status = new
        return status

    kinds = [int(k) for k in Kind if Kind.ORDER_DENIED <= k <= Kind.ORDER_FILLED]
    events = [(k, q) for k in kinds for q in ((4, 10) if k == Kind.ORDER_FILLED else (0,))]
    checked = 0
    for status in OrderStatus:
        for n in (1, 2, 3):
            for seq in product(events, repeat=n):
                args = (status, OrderStatus.ACCEPTED, 2, 10, list(seq))
                assert walk(*args) == by_next_status(*args), args
                checked += 1
    assert checked > 10_000
