"""The execution engine: routing and position events from fills, equal to the cache's state."""

from __future__ import annotations

import pytest

from domain.enums import OrderSide, PositionSide
from domain.kinds import Kind
from domain.strings import StringTable
from engines.execution import ExecutionError, venue_of, with_position_id
from engines.risk_checks import RiskConfig
from tests.unit.test_risk_harness import Harness


def _names(out: list) -> list[str]:
    return [Kind(r.kind).name for r in out]


def _open(h: Harness, side: OrderSide, qty: int) -> int:
    coid = h.order(side=side, qty=qty, price="1.10000")
    h.submit(coid)
    h.accept(coid)
    return coid


def _pos_fields(rec) -> dict:
    return {k: getattr(rec, k) for k in ("position_id", "side", "signed_qty", "avg_px_open",
                                          "realized_pnl", "opening_order_id", "last_trade_id")}


def test_open_add_reduce_flip_and_close_emit_the_exact_position_records():
    h = Harness(RiskConfig(short_selling={"EUR/USD.SIM"}))  # a cash account that may go short
    h.quote("1.10000", "1.10010")
    pid = (h.sid << 32) | h.iid
    a = _open(h, OrderSide.BUY, 1000)
    out = h.fill(a, OrderSide.BUY, 1000, "1.10000", trade_id=1)
    assert _names(out) == ["POSITION_OPENED", "ACCOUNT_STATE"]
    assert _pos_fields(out[0]) == {
        "position_id": pid, "side": int(PositionSide.LONG), "signed_qty": 1000,
        "avg_px_open": 1.1, "realized_pnl": 0, "opening_order_id": a, "last_trade_id": 1,
    }
    b = _open(h, OrderSide.BUY, 1000)
    out = h.fill(b, OrderSide.BUY, 1000, "1.20000", trade_id=2)
    assert _names(out)[0] == "POSITION_CHANGED"
    assert out[0].signed_qty == 2000 and abs(out[0].avg_px_open - 1.15) < 1e-12
    c = _open(h, OrderSide.SELL, 500)
    out = h.fill(c, OrderSide.SELL, 500, "1.25000", trade_id=3)
    assert _names(out)[0] == "POSITION_CHANGED"
    assert out[0].signed_qty == 1500 and out[0].realized_pnl == 5000  # 500 * 0.10 USD, in cents
    d = _open(h, OrderSide.SELL, 2000)
    out = h.fill(d, OrderSide.SELL, 2000, "1.25000", trade_id=4)
    assert _names(out)[:2] == ["POSITION_CLOSED", "POSITION_OPENED"]
    assert out[0].signed_qty == 0 and out[0].realized_pnl == 20000  # 2000 * 0.10
    assert out[1].signed_qty == -500 and out[1].side == int(PositionSide.SHORT)
    assert out[1].opening_order_id == d and out[1].avg_px_open == 1.25
    e = _open(h, OrderSide.BUY, 500)
    out = h.fill(e, OrderSide.BUY, 500, "1.24000", trade_id=5)
    assert _names(out)[0] == "POSITION_CLOSED"
    assert out[0].signed_qty == 0 and out[0].realized_pnl == 500  # 500 * 0.01
    cached = h.cache.position(pid)
    assert cached.to_fields() == h.execution.position(pid).to_fields()


def test_two_fills_in_one_batch_each_get_the_position_state_at_that_fill():
    h = Harness()
    h.quote("1.10000", "1.10010")
    a = _open(h, OrderSide.BUY, 1000)
    pid = h.execution.position_id_of(a)
    from tests.unit.test_risk_harness import raw

    fills = [
        raw(Kind.ORDER_FILLED, seq=100 + i, client_order_id=a, instrument_id=h.iid,
            strategy_id=h.sid, trade_id=10 + i, position_id=pid, side=int(OrderSide.BUY),
            price_precision=5, size_precision=0, account_id=h.account_id, last_qty=500,
            last_px=110_000 + i * 10)
        for i in range(2)
    ]
    for f in fills:  # the fused consumer: the cache applies a record, then the engines see it
        h.apply(f)
        h.ctx.set_current(f.seq, h.ts)
        h.execution.react(f, h.ctx)
    out = [r for r in h.flush() if r.kind != Kind.ACCOUNT_STATE]
    assert _names(out) == ["POSITION_OPENED", "POSITION_CHANGED"]
    assert [r.signed_qty for r in out] == [500, 1000]
    assert [r.last_trade_id for r in out] == [10, 11]


def test_a_fill_the_cache_has_not_applied_stops_the_engine_with_its_seq():
    h = Harness()
    h.quote("1.10000", "1.10010")
    a = _open(h, OrderSide.BUY, 1000)
    from tests.unit.test_risk_harness import raw

    fill = raw(Kind.ORDER_FILLED, seq=500, client_order_id=a, instrument_id=h.iid,
               strategy_id=h.sid, trade_id=1, side=int(OrderSide.BUY), price_precision=5,
               size_precision=0, account_id=h.account_id, last_qty=500, last_px=110_000)
    with pytest.raises(ExecutionError, match="seq 500"):
        h.execution.react(fill, h.ctx)


def test_a_cancel_goes_to_the_venue_after_an_order_pending_cancel():
    h = Harness()
    h.quote("1.10000", "1.10010")
    a = _open(h, OrderSide.BUY, 1000)
    out = h.command(Kind.CANCEL_ORDER, client_order_id=a, instrument_id=h.iid, strategy_id=h.sid)
    assert _names(out) == ["ORDER_PENDING_CANCEL"]
    assert [c for c, _ in h.venue.calls] == ["submit", "cancel"]


def test_a_cancel_all_is_routed_to_the_venue_of_the_instrument():
    h = Harness()
    out = h.command(Kind.CANCEL_ALL_ORDERS, instrument_id=h.iid, strategy_id=h.sid)
    assert out == [] and [c for c, _ in h.venue.calls] == ["cancel_all"]


def test_a_cancel_all_marks_each_order_open_at_the_venue_pending_cancel_first():
    """As NautilusTrader's ``cancel_all_orders``: ORDER_PENDING_CANCEL per open order (side
    filter applied), none for an order already pending cancel or only submitted."""
    h = Harness(RiskConfig(short_selling=frozenset({"EUR/USD.SIM"})))
    h.quote("1.10000", "1.10010")
    a = _open(h, OrderSide.BUY, 1000)
    b = _open(h, OrderSide.SELL, 1000)
    c = _open(h, OrderSide.BUY, 2000)
    d = h.order(side=OrderSide.BUY, qty=1000, price="1.10000")
    h.submit(d)  # in flight to the venue: not open there yet
    h.command(Kind.CANCEL_ORDER, client_order_id=c, instrument_id=h.iid, strategy_id=h.sid)
    out = h.command(Kind.CANCEL_ALL_ORDERS, instrument_id=h.iid, strategy_id=h.sid,
                    side=int(OrderSide.BUY))
    assert [(Kind(r.kind).name, r.client_order_id) for r in out] == \
        [("ORDER_PENDING_CANCEL", a)]
    assert out[0].venue_order_id == a & 0xFFFF
    assert h.cache.order(b).status.name == "ACCEPTED"
    assert [name for name, _ in h.venue.calls][-1] == "cancel_all"
    out = h.command(Kind.CANCEL_ALL_ORDERS, instrument_id=h.iid, strategy_id=h.sid)
    assert [(Kind(r.kind).name, r.client_order_id) for r in out] == \
        [("ORDER_PENDING_CANCEL", b)]


def test_execution_state_round_trips_through_snapshot():
    h = Harness()
    h.quote("1.10000", "1.10010")
    a = _open(h, OrderSide.BUY, 1000)
    h.fill(a, OrderSide.BUY, 1000, "1.10000", trade_id=1)
    other = Harness()
    other.execution.restore(h.execution.snapshot())
    pid = h.execution.position_id_of(a)
    assert other.execution.position_id_of(a) == pid
    assert other.execution.snapshot() == h.execution.snapshot()


def test_routing_a_command_replaces_only_its_position_id_as_namedtuple_replace_does():
    from tests.unit.test_risk_harness import raw

    cmd = raw(Kind.SUBMIT_ORDER, seq=7, ts_init=11, ts_event=10, client_order_id=3,
              instrument_id=4, strategy_id=5, position_id=0, order_list_id=9)
    routed = with_position_id(cmd, 123)
    assert routed == cmd._replace(position_id=123)
    assert type(routed) is type(cmd) and routed.position_id == 123 and routed.seq == 7


def test_the_remembered_venue_equals_venue_of_and_follows_a_new_string_table():
    h = Harness()
    assert h.execution.venue(h.ctx, h.iid) == venue_of(h.ctx, h.iid) == "SIM"
    h.ctx.strings = StringTable()
    h.ctx.strings.intern("X")
    h.ctx.strings.intern("ES.GLBX")
    iid = h.ctx.strings.id_of("ES.GLBX")
    assert h.execution.venue(h.ctx, iid) == venue_of(h.ctx, iid) == "GLBX"
    with pytest.raises(KeyError, match="string id 999"):
        h.execution.venue(h.ctx, 999)


def test_a_submit_routed_with_the_position_id_risk_resolved_equals_one_resolved_here():
    h = Harness()
    h.quote("1.10000", "1.10010")
    coid = h.order(side=OrderSide.BUY, qty=1000, price="1.10000")
    h.submit(coid)  # the risk engine hands its resolved position id to execute_submit
    (_, via_risk), = [c for c in h.venue.calls if c[0] == "submit"]
    direct = Harness()
    direct.quote("1.10000", "1.10010")
    coid2 = direct.order(side=OrderSide.BUY, qty=1000, price="1.10000")
    from tests.unit.test_risk_harness import raw

    cmd = raw(Kind.SUBMIT_ORDER, seq=99, ts_init=direct.ts, ts_event=direct.ts,
              client_order_id=coid2, instrument_id=direct.iid, strategy_id=direct.sid)
    direct.execution.execute_submit(cmd, direct.ctx)
    (_, resolved), = direct.venue.calls
    assert coid2 == coid and resolved.position_id == via_risk.position_id != 0
    assert h.execution.position_id_of(coid) == direct.execution.position_id_of(coid2)
