"""The risk engine: every check denies with a reason naming the check, field and value."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from domain.codec import decode_raw
from domain.enums import (
    BookAction,
    BookLevel,
    OrderOption,
    OrderSide,
    OrderType,
    RecordFlag,
    TradingState,
)
from domain.kinds import Kind
from domain.schema import NULL_I64
from engines.risk_checks import RiskConfig
from tests.unit.test_risk_harness import Harness, raw


def pending(h: Harness) -> list:
    return [decode_raw(a.reshape(-1)[i : i + 1].tobytes())
            for a in h.ctx._default_outbox._pending for i in range(a.size)]


def _denied(h: Harness, out: list) -> str:
    """The one denial's reason; a reason with numbers comes with its REASON_ARGS first."""
    kinds = [Kind(r.kind).name for r in out]
    assert kinds in (["ORDER_DENIED"], ["REASON_ARGS", "ORDER_DENIED"]), kinds
    assert h.venue.calls == []
    return h.reason(out[-1])


def test_a_valid_limit_order_is_submitted_with_the_venue_account_and_routed_to_the_venue():
    h = Harness()
    h.quote("1.10000", "1.10010")
    coid = h.order(price="1.10000")
    out = h.submit(coid)
    assert [Kind(r.kind).name for r in out] == ["ORDER_SUBMITTED"]
    assert out[0].account_id == h.account_id and out[0].client_order_id == coid
    (call, cmd), = h.venue.calls
    assert call == "submit" and cmd.client_order_id == coid
    assert cmd.position_id == (h.sid << 32) | h.iid  # netting id resolved by the cache's rule
    assert h.cache.order(coid).status.name == "SUBMITTED"


def test_a_submit_naming_an_unknown_instrument_is_denied():
    # The cache refuses ORDER_INITIALIZED for an unknown instrument, so the command names one.
    h = Harness()
    other = h.ctx.intern("GBP/USD.SIM")
    h.flush()
    coid = h.order(price="1.10000")
    reason = _denied(h, h.submit(coid, instrument_id=other))
    assert reason == f"unknown instrument: GBP/USD.SIM (id {other}) has no INSTRUMENT record"


def test_a_price_off_the_tick_grid_is_denied():
    h = Harness()
    coid = h.order(price="1.100005", price_precision=6)
    assert _denied(h, h.submit(coid)) == (
        "precision: price precision 6 differs from EUR/USD.SIM price_precision 5"
    )


def test_a_trigger_price_that_is_not_positive_is_denied():
    h = Harness()
    h.quote("1.10000", "1.10010")
    coid = h.order(trigger="0", order_type=OrderType.STOP_MARKET)
    assert _denied(h, h.submit(coid)) == "positive price: trigger_price 0.00000 must be > 0"


def test_a_quantity_with_the_wrong_precision_is_denied():
    h = Harness()
    coid = h.order(qty=15, price="1.10000", size_precision=1)
    assert _denied(h, h.submit(coid)) == (
        "precision: quantity precision 1 differs from EUR/USD.SIM size_precision 0"
    )


def test_max_order_quantity_is_enforced():
    h = Harness(RiskConfig(max_order_qty={"EUR/USD.SIM": "500"}))
    coid = h.order(qty=501, price="1.10000")
    assert _denied(h, h.submit(coid)) == "max order quantity: quantity 501 exceeds 500 for EUR/USD.SIM"


def test_max_notional_per_order_is_enforced_at_the_limit_price():
    h = Harness(RiskConfig(max_notional_per_order={"EUR/USD.SIM": "1000"}))
    coid = h.order(qty=1000, price="1.10000")
    assert _denied(h, h.submit(coid)) == (
        "max notional per order: notional 1100.00 USD exceeds 1000 for EUR/USD.SIM"
    )


def test_a_market_order_is_valued_at_the_ask_for_its_notional_limit():
    h = Harness(RiskConfig(max_notional_per_order={"EUR/USD.SIM": "1100"}))
    h.quote("1.09990", "1.10010")
    coid = h.order(qty=1000)
    assert _denied(h, h.submit(coid)) == (
        "max notional per order: notional 1100.10 USD exceeds 1100 for EUR/USD.SIM"
    )


def test_a_market_order_without_any_quote_is_denied_for_lack_of_a_price():
    h = Harness()
    coid = h.order(qty=1000)
    assert _denied(h, h.submit(coid)) == (
        "valuation: no price for MARKET order: no quote or book for EUR/USD.SIM"
    )


def _book_level(h: Harness, side: OrderSide, price: str, size: int) -> None:
    h.apply(raw(
        Kind.BOOK_DELTA, instrument_id=h.iid, price_precision=5, size_precision=0,
        action=int(BookAction.ADD), side=int(side), level=int(BookLevel.L2),
        price=int(Decimal(price) * 10**5), size=size, flags=int(RecordFlag.LAST),
    ))


def test_a_market_order_on_book_only_data_is_valued_at_the_top_of_the_book():
    h = Harness(RiskConfig(max_notional_per_order={"EUR/USD.SIM": "1100"}))
    _book_level(h, OrderSide.BUY, "1.09990", 1_000_000)
    _book_level(h, OrderSide.SELL, "1.10010", 1_000_000)
    coid = h.order(qty=1000)
    assert _denied(h, h.submit(coid)) == (
        "max notional per order: notional 1100.10 USD exceeds 1100 for EUR/USD.SIM"
    )


def test_max_open_orders_counts_orders_submitted_in_the_same_batch():
    h = Harness(RiskConfig(max_open_orders=2))
    h.quote("1.10000", "1.10010")
    a, b, c = (h.order(price="1.10000") for _ in range(3))
    h.ctx.set_current(99, h.ts)
    # Submit a and b without letting the cache apply ORDER_SUBMITTED (one batch).
    for coid in (a, b):
        cmd = raw(
            Kind.SUBMIT_ORDER, client_order_id=coid, instrument_id=h.iid, strategy_id=h.sid,
            ts_init=h.ts,
        )
        h.risk.react(cmd, h.ctx)
    h.flush()
    assert _denied_last(h, h.submit(c)) == "max open orders: 2 orders open on EUR/USD.SIM, limit 2"


def _denied_last(h: Harness, out: list) -> str:
    assert [Kind(r.kind).name for r in out if r.kind != Kind.REASON_ARGS] == ["ORDER_DENIED"]
    return h.reason(out[-1])


def test_a_limit_price_outside_the_collar_around_the_mid_is_denied():
    h = Harness(RiskConfig(price_collar_pct=1.0))
    h.quote("1.00000", "1.00000")
    ok, bad = h.order(price="1.01000"), h.order(price="1.01100")
    assert [Kind(r.kind).name for r in h.submit(ok)] == ["ORDER_SUBMITTED"]
    assert _denied_last(h, h.submit(bad)) == (
        "price collar: price 1.01100 is 1.1000% from mid 1.00000, limit 1.0%"
    )


def test_the_submit_rate_limit_counts_ts_init_within_the_window():
    h = Harness(RiskConfig(max_submit_rate=(2, 1_000)))
    h.quote("1.10000", "1.10010")
    coids = [h.order(price="1.10000") for _ in range(4)]
    h.submit(coids[0])
    h.ts += 500
    h.submit(coids[1])
    h.ts += 400  # 900 ns after the first: both still in the window
    assert _denied_last(h, h.submit(coids[2])) == (
        f"submit rate: 2 orders submitted in the last 1000 ns (ts_init {h.ts}), limit 2"
    )
    h.ts += 100  # the first leaves the window (half-open at t - window)
    assert [Kind(r.kind).name for r in h.submit(coids[3])] == ["ORDER_SUBMITTED"]


def test_a_reduce_only_order_that_would_open_a_position_is_denied():
    h = Harness()
    h.quote("1.10000", "1.10010")
    coid = h.order(side=OrderSide.SELL, price="1.10000", options=int(OrderOption.REDUCE_ONLY))
    assert _denied(h, h.submit(coid)) == "reduce-only: SELL 1000 would open a position (position is flat)"


def test_a_reduce_only_order_larger_than_the_position_is_denied():
    h = Harness()
    h.quote("1.10000", "1.10010")
    buy = h.order(price="1.10000")
    h.submit(buy)
    h.accept(buy)
    h.fill(buy, OrderSide.BUY, 1000, "1.10000", trade_id=1)
    sell = h.order(side=OrderSide.SELL, qty=1500, price="1.10000",
                   options=int(OrderOption.REDUCE_ONLY))
    assert _denied_last(h, h.submit(sell)) == "reduce-only: SELL 1500 exceeds position 1000"


def test_an_order_the_cash_balance_cannot_cover_is_denied():
    h = Harness(usd="1000")
    h.quote("1.10000", "1.10010")
    coid = h.order(qty=1000, price="1.10000")
    assert _denied(h, h.submit(coid)) == (
        "balance: order needs 1100.02 USD, free 1000.00 USD in account SIM-001"
    )


def test_halted_trading_denies_every_order_and_reducing_denies_orders_that_add():
    h = Harness()
    h.quote("1.10000", "1.10010")
    h.command(Kind.SET_TRADING_STATE, state=int(TradingState.HALTED))
    assert _denied(h, h.submit(h.order(price="1.10000"))) == (
        "trading state HALTED: no orders are accepted"
    )
    h.command(Kind.SET_TRADING_STATE, state=int(TradingState.REDUCING))
    assert _denied_last(h, h.submit(h.order(price="1.10000"))) == (
        "trading state REDUCING: order would not reduce a position"
    )


def test_the_trading_state_reason_comes_before_a_failing_quantity_or_price_check():
    h = Harness()
    h.quote("1.10000", "1.10010")
    h.command(Kind.SET_TRADING_STATE, state=int(TradingState.HALTED))
    coid = h.order(qty=15, price="1.10001", size_precision=1)
    assert _denied(h, h.submit(coid)) == "trading state HALTED: no orders are accepted"
    h.command(Kind.SET_TRADING_STATE, state=int(TradingState.ACTIVE))
    coid = h.order(qty=15, price="1.10001", size_precision=1)
    assert _denied_last(h, h.submit(coid)) == (
        "precision: quantity precision 1 differs from EUR/USD.SIM size_precision 0"
    )


def test_a_modify_of_an_unknown_or_closed_order_is_rejected_with_a_reason():
    h = Harness()
    cmd = raw(Kind.MODIFY_ORDER, client_order_id=12345, instrument_id=h.iid, strategy_id=h.sid,
              quantity=NULL_I64, price=NULL_I64, trigger_price=NULL_I64)
    h.risk.react(cmd, h.ctx)
    # Not applied to the cache: it refuses reject events for orders it does not know.
    (rejected,) = [r for r in pending(h) if r.kind == Kind.ORDER_MODIFY_REJECTED]
    assert h.reason(rejected) == "modify: order 12345 is unknown"
    h.ctx._default_outbox._pending.clear()
    h.quote("1.10000", "1.10010")
    coid = h.order(price="1.10000")
    h.submit(coid)
    h.accept(coid)
    h.command(Kind.ORDER_CANCELED, client_order_id=coid, instrument_id=h.iid, strategy_id=h.sid)
    h.risk.react(raw(Kind.MODIFY_ORDER, client_order_id=coid, instrument_id=h.iid,
                     strategy_id=h.sid, price_precision=5, quantity=NULL_I64,
                     price=110_001, trigger_price=NULL_I64), h.ctx)
    # Not applied: the order state machine has no row for a modify-reject after CANCELED.
    (rejected,) = [r for r in pending(h) if r.kind == Kind.ORDER_MODIFY_REJECTED]
    assert h.reason(rejected) == f"modify: order {coid} is closed (CANCELED)"


def test_a_valid_modify_goes_to_the_venue_after_an_order_pending_update():
    h = Harness()
    h.quote("1.10000", "1.10010")
    coid = h.order(price="1.10000")
    h.submit(coid)
    h.accept(coid)
    out = h.command(Kind.MODIFY_ORDER, client_order_id=coid, instrument_id=h.iid,
                    strategy_id=h.sid, price_precision=5, size_precision=0, quantity=NULL_I64,
                    price=109_990, trigger_price=NULL_I64)
    assert [Kind(r.kind).name for r in out] == ["ORDER_PENDING_UPDATE"]
    assert [c for c, _ in h.venue.calls] == ["submit", "modify"]


def test_an_order_list_is_denied_as_a_whole_when_one_order_fails():
    h = Harness(RiskConfig(max_order_qty={"EUR/USD.SIM": "1000"}))
    h.quote("1.10000", "1.10010")
    a = h.order(price="1.10000", order_list_id=7)
    b = h.order(qty=2000, price="1.09000", order_list_id=7)
    out = h.command(Kind.SUBMIT_ORDER_LIST, order_list_id=7, instrument_id=h.iid,
                    strategy_id=h.sid, n_orders=2)
    denied = [r for r in out if r.kind != Kind.REASON_ARGS]
    assert [(Kind(r.kind).name, r.client_order_id) for r in denied] == [
        ("ORDER_DENIED", a), ("ORDER_DENIED", b)
    ]
    assert h.reason(denied[0]) == h.reason(denied[1]) == (
        f"order list 7: order {b}: max order quantity: quantity 2000 exceeds 1000 for EUR/USD.SIM"
    )


def test_a_valid_order_list_is_submitted_and_handed_to_the_venue_in_list_order():
    # the harness's account is a CASH account holding no EUR: the sell needs short selling
    h = Harness(RiskConfig(short_selling={"EUR/USD.SIM"}))
    h.quote("1.10000", "1.10010")
    a = h.order(price="1.10000", order_list_id=7)
    b = h.order(side=OrderSide.SELL, price="1.11000", order_list_id=7)
    out = h.command(Kind.SUBMIT_ORDER_LIST, order_list_id=7, instrument_id=h.iid,
                    strategy_id=h.sid, n_orders=2)
    assert [(Kind(r.kind).name, r.client_order_id) for r in out] == [
        ("ORDER_SUBMITTED", a), ("ORDER_SUBMITTED", b)
    ]
    (call, (cmd, orders)), = h.venue.calls
    assert call == "submit_order_list" and [o.client_order_id for o in orders] == [a, b]


def test_a_cash_account_cannot_sell_what_it_does_not_hold():
    h = Harness()
    h.quote("1.10000", "1.10010")
    out = h.submit(h.order(side=OrderSide.SELL, price="1.11000"))
    assert [Kind(r.kind).name for r in out if r.kind != Kind.REASON_ARGS] == ["ORDER_DENIED"]
    assert h.reason(out[-1]) == (
        "cash holding: SELL 1000 exceeds the 0 EUR/USD.SIM held (short selling not allowed "
        "for EUR/USD.SIM on a cash account)")


def test_risk_state_round_trips_through_snapshot_and_digest():
    h = Harness(RiskConfig(max_submit_rate=(5, 10_000)))
    h.quote("1.10000", "1.10010")
    h.submit(h.order(price="1.10000"))
    h.command(Kind.SET_TRADING_STATE, state=int(TradingState.REDUCING))
    other = Harness(RiskConfig(max_submit_rate=(5, 10_000)))
    other.risk.restore(h.risk.snapshot())
    d1, d2 = hashlib.blake2b(), hashlib.blake2b()
    h.risk.digest(d1)
    other.risk.digest(d2)
    assert d1.digest() == d2.digest()
    assert other.risk.trading_state == TradingState.REDUCING


@pytest.mark.parametrize("bad", [{"max_open_orders": 0}, {"max_submit_rate": (0, 5)}])
def test_a_config_with_a_non_positive_limit_is_refused(bad):
    with pytest.raises(ValueError, match="RiskConfig.max_"):
        RiskConfig(**bad)


@pytest.mark.parametrize(("quantity", "denied"), [(4, True), (5, True), (6, False)])
def test_a_modify_must_leave_the_quantity_above_what_is_filled(quantity: int, denied: bool):
    h = Harness()
    h.quote("1.10000", "1.10010")
    coid = h.order(qty=10, price="1.10000")
    h.submit(coid)
    h.accept(coid)
    h.fill(coid, OrderSide.BUY, 5, "1.10000", trade_id=1)
    out = h.command(Kind.MODIFY_ORDER, client_order_id=coid, instrument_id=h.iid,
                    strategy_id=h.sid, price_precision=5, size_precision=0, quantity=quantity,
                    price=NULL_I64, trigger_price=NULL_I64)
    if denied:
        (rejected,) = [r for r in out if r.kind == Kind.ORDER_MODIFY_REJECTED]
        assert h.reason(rejected) == f"modify: quantity raw {quantity} is not above filled_qty raw 5"
    else:
        assert [Kind(r.kind).name for r in out] == ["ORDER_PENDING_UPDATE"]


def test_resting_reduce_only_exits_do_not_block_each_other():
    # a take-profit and a stop-loss for the same long: both reduce it, neither has filled
    h = Harness()
    h.quote("1.10000", "1.10010")
    entry = h.order(side=OrderSide.BUY, qty=1000, price="1.10010")
    h.submit(entry)
    h.accept(entry)
    h.fill(entry, OrderSide.BUY, 1000, "1.10010", trade_id=1)
    reduce_only = int(OrderOption.REDUCE_ONLY)
    take_profit = h.order(side=OrderSide.SELL, qty=1000, price="1.11000", options=reduce_only)
    assert [Kind(r.kind).name for r in h.submit(take_profit)] == ["ORDER_SUBMITTED"]
    h.accept(take_profit)
    stop_loss = h.order(side=OrderSide.SELL, qty=1000, price="1.09000", options=reduce_only)
    assert [Kind(r.kind).name for r in h.submit(stop_loss)] == ["ORDER_SUBMITTED"]
