"""The strategy side of an order: specs, quantities and the two records a submit emits.

The hot-path forms (table-driven spec checks, positional ``initialized_values``, the remembered
int quantity, both submit records queued in one call) must give exactly what the general forms
give: the same values, the same bytes and the same errors.
"""

from __future__ import annotations

import itertools

import pytest

from domain.enums import ContingencyType, OrderSide, OrderType, TimeInForce
from domain.instruments import Instrument
from domain.kinds import Kind
from domain.order_specs import INITIALIZED_NAMES, OrderSpec, OrderSpecError
from domain.schema import NULL_I64
from domain.strings import StringTable
from domain.values import Price, Quantity
from engines.context import EmitNotAllowed, KernelContext
from engines.emit_buffer import EmitBuffer
from engines.order_factory import NewOrder
from engines.record_emitter import emit_packed
from engines.scheduler import Scheduler
from engines.strategy import Strategy
from ringbus.outbox import Outbox


def _rule_error(side, order_type, quantity, price, trigger, tif, expire_ns, post_only):
    """The spec rules written out as plain comparisons (the form before the rule table)."""
    if side not in (OrderSide.BUY, OrderSide.SELL):
        return f"side must be BUY or SELL, got {side!r}"
    if quantity.raw <= 0:
        return f"quantity must be positive, got {quantity}"
    needs_price = order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.LIMIT_IF_TOUCHED)
    if needs_price != (price is not None):
        return f"price must be {'set' if needs_price else 'None'} for {order_type.name}, got {price}"
    needs_trigger = order_type in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT,
                                   OrderType.MARKET_IF_TOUCHED, OrderType.LIMIT_IF_TOUCHED)
    if needs_trigger != (trigger is not None):
        return (f"trigger_price must be {'set' if needs_trigger else 'None'} for "
                f"{order_type.name}, got {trigger}")
    if (tif == TimeInForce.GTD) != (expire_ns > 0):
        return (f"expire_time_ns must be > 0 exactly when time_in_force is GTD, got {expire_ns} "
                f"with {tif.name}")
    if post_only and order_type != OrderType.LIMIT:
        return f"post_only is only allowed on LIMIT orders, got {order_type.name}"
    return None


# Trailing stops have their own rules (offsets; optional levels): tests/unit/test_trailing.py.
_FIXED_LEVEL_TYPES = [t for t in OrderType if not t.name.startswith("TRAILING_")]
SPEC_CASES = list(itertools.product(
    list(OrderSide), _FIXED_LEVEL_TYPES, (Quantity(0, 0), Quantity(5, 2)), (None, Price(101, 2)),
    (None, Price(99, 2)), (TimeInForce.GTC, TimeInForce.GTD), (0, 7), (False, True),
))


def test_spec_checks_accept_and_refuse_exactly_what_the_rules_say_with_their_messages() -> None:
    for side, order_type, qty, price, trigger, tif, expire_ns, post_only in SPEC_CASES:
        expected = _rule_error(side, order_type, qty, price, trigger, tif, expire_ns, post_only)
        args = dict(price=price, trigger_price=trigger, time_in_force=tif,
                    expire_time_ns=expire_ns, post_only=post_only)
        if expected is None:
            assert OrderSpec(side, order_type, qty, **args).order_type == order_type
        else:
            with pytest.raises(OrderSpecError) as err:
                OrderSpec(side, order_type, qty, **args)
            assert str(err.value) == expected


def test_initialized_values_are_the_initialized_fields_in_name_order() -> None:
    q, p = Quantity(300, 1), Price(12_345, 2)
    specs = [
        OrderSpec.market(OrderSide.BUY, q),
        OrderSpec.market(OrderSide.SELL, q, reduce_only=True, contingency=ContingencyType.OTO),
        OrderSpec.limit(OrderSide.SELL, q, p, post_only=True, reduce_only=True,
                        time_in_force=TimeInForce.GTD, expire_time_ns=9),
        OrderSpec.stop_limit(OrderSide.BUY, q, p, p, time_in_force=TimeInForce.IOC),
    ]
    for spec in specs:
        values = spec.initialized_values(11, 22, 33, 2, 44, 55, 66)
        fields = spec.initialized_fields(11, 22, 33, price_precision=2, order_list_id=44,
                                         linked_order_id=55, parent_order_id=66)
        assert tuple(fields) == INITIALIZED_NAMES and tuple(fields.values()) == values
        assert fields["options"] == int(spec.options)
        assert fields["price"] == (NULL_I64 if spec.price is None else spec.price.raw)
        assert fields["quantity"] == 300 and fields["size_precision"] == 1


def test_initialized_values_refuse_a_price_at_another_precision_naming_it() -> None:
    spec = OrderSpec.stop_market(OrderSide.BUY, Quantity(1, 0), Price(5, 1))
    with pytest.raises(OrderSpecError, match="trigger_price 0.5 has precision 1, the instrument's is 2"):
        spec.initialized_values(1, 1, 1, 2)


def test_make_qty_of_an_int_equals_from_int_whatever_was_made_before() -> None:
    fx, btc = Instrument.fx_pair("EUR/USD.SIM"), Instrument.crypto_perpetual("BTCUSDT-PERP.BINANCE")
    for inst, value in [(fx, 100_000), (fx, 100_000), (btc, 100_000), (fx, 100_000), (btc, 3),
                        (btc, 3), (fx, 0), (btc, 0)]:
        qty = inst.make_qty(value)
        expected = Quantity.from_int(value, inst.size_precision)
        assert qty == expected and qty.precision == expected.precision


@pytest.mark.parametrize("bad", [-1, 2**63, True])
def test_make_qty_of_a_bad_int_raises_the_error_of_from_int(bad: int) -> None:
    fx = Instrument.fx_pair("EUR/USD.SIM")
    with pytest.raises(ValueError) as expected:
        Quantity.from_int(bad, fx.size_precision, "quantity")
    fx.make_qty(5)
    with pytest.raises(type(expected.value)) as err:
        fx.make_qty(bad)
    assert str(err.value) == str(expected.value)


def test_make_qty_of_a_quantity_keeps_it_at_the_precision_and_converts_it_otherwise() -> None:
    btc = Instrument.crypto_perpetual("BTCUSDT-PERP.BINANCE")
    same = Quantity(1_500, btc.size_precision)
    assert btc.make_qty(same) is same
    assert btc.make_qty(Quantity(15, 1)) == same.to_precision(btc.size_precision)
    with pytest.raises(ValueError) as expected:
        Quantity(15, 4).to_precision(btc.size_precision)
    with pytest.raises(type(expected.value), match=str(expected.value)):
        btc.make_qty(Quantity(15, 4))


def _strategy(outbox) -> tuple[Strategy, KernelContext]:
    ctx = KernelContext(StringTable(), Scheduler(), outbox)
    ctx.now_ns, ctx.current_seq = 1_700_000_000_000_000_123, 77
    strategy = Strategy("s")
    strategy.ctx, strategy.source_id = ctx, 4
    return strategy, ctx


def test_submit_order_emits_the_bytes_of_the_keyword_emits_in_order() -> None:
    spec = OrderSpec.limit(OrderSide.SELL, Quantity(7, 0), Price(123, 2), reduce_only=True)
    strategy, ctx = _strategy(EmitBuffer())
    assert strategy.submit_order(NewOrder(99, 3, spec), position_id=12) == 99
    got = ctx._require_outbox().take()
    ctx.emit(Kind.ORDER_INITIALIZED, 4, **spec.initialized_fields(99, 3, 4, price_precision=2))
    ctx.emit(Kind.SUBMIT_ORDER, 4, client_order_id=99, instrument_id=3, strategy_id=4,
             position_id=12)
    assert got.tobytes() == ctx._require_outbox().take().tobytes()
    assert [int(k) for k in got["kind"]] == [Kind.ORDER_INITIALIZED, Kind.SUBMIT_ORDER]


def test_submit_order_in_the_state_stage_is_not_allowed_and_emits_nothing() -> None:
    strategy, ctx = _strategy(EmitBuffer())
    ctx.enter_stage("state", None)
    with pytest.raises(EmitNotAllowed):
        strategy.submit_order(NewOrder(1, 3, OrderSpec.market(OrderSide.BUY, Quantity(1, 0))))


def test_packed_records_reach_either_outbox_as_the_same_records() -> None:
    spec = OrderSpec.market(OrderSide.BUY, Quantity(1, 0))
    buffered, ctx = _strategy(EmitBuffer())
    buffered.submit_order(NewOrder(5, 3, spec))
    listed, _ = _strategy(Outbox())
    listed.submit_order(NewOrder(5, 3, spec))
    (arr,) = listed.ctx._require_outbox().take()
    assert arr.tobytes() == ctx._require_outbox().take().tobytes() and len(arr) == 2
    out = EmitBuffer()
    emit_packed(out, arr.tobytes())
    assert out.take().tobytes() == arr.tobytes()
