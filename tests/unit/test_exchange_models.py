"""Fee, latency and fill models, and the pure matching rules."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.enums import LiquiditySide, OrderSide
from domain.instruments import Instrument
from domain.values import pack_currency
from engines.exchange import (
    ConstantLatency,
    ExchangeConfig,
    FeeRounding,
    FillModel,
    InstrumentRates,
    Operation,
)
from engines.exchange.fees import exact_notional
from engines.exchange.fill_model import PCG64_INITIAL
from engines.exchange.matching import (
    DAY_NS,
    crosses,
    day_end_ns,
    stop_triggered,
    trades_through,
    walk,
)

BUY, SELL = int(OrderSide.BUY), int(OrderSide.SELL)


def test_linear_commission_rounds_half_away_from_zero_by_default() -> None:
    inst = Instrument.equity("AAPL.XNAS", taker_fee=0.0005, maker_fee=-0.0001)
    fees = InstrumentRates()
    assert fees.rounding is FeeRounding.HALF_AWAY_FROM_ZERO
    # 1 * 1.00 USD * 0.0005 = 0.05 cent -> 0 cents; 10 * 1.00 -> 0.5 cent -> 1 (away from zero)
    assert fees.commission(inst, LiquiditySide.TAKER, 1, 100) == (0, pack_currency("USD"))
    assert fees.commission(inst, LiquiditySide.TAKER, 30, 100)[0] == 2  # 1.5 -> 2
    assert fees.commission(inst, LiquiditySide.TAKER, 10, 100)[0] == 1  # 0.5 -> 1
    assert fees.commission(inst, LiquiditySide.TAKER, 50, 100)[0] == 3  # 2.5 -> 3
    assert fees.commission(inst, LiquiditySide.MAKER, 50, 100)[0] == -1  # -0.5 -> -1 (rebate)
    assert fees.commission(inst, LiquiditySide.MAKER, 1000, 100)[0] == -10


def test_half_even_fee_rounding_sends_ties_to_the_even_cent() -> None:
    inst = Instrument.equity("AAPL.XNAS", taker_fee=0.0005, maker_fee=-0.0001)
    fees = InstrumentRates("HALF_EVEN")
    assert fees.commission(inst, LiquiditySide.TAKER, 10, 100)[0] == 0  # 0.5 -> 0
    assert fees.commission(inst, LiquiditySide.TAKER, 30, 100)[0] == 2  # 1.5 -> 2
    assert fees.commission(inst, LiquiditySide.TAKER, 50, 100)[0] == 2  # 2.5 -> 2
    with pytest.raises(ValueError, match="fee rounding must be one of .*got 'UP'"):
        InstrumentRates("UP")


def test_inverse_commission_is_charged_in_the_base_currency() -> None:
    inst = Instrument.crypto_perpetual("XBTUSD.BITMEX", base="BTC", quote="USD", is_inverse=True,
                                       price_precision=1, size_precision=0, taker_fee=0.00075)
    raw, ccy = InstrumentRates().commission(inst, LiquiditySide.TAKER, 10_000, 500_000)
    # 10000 USD / 50000 = 0.2 BTC; * 0.00075 = 0.00015 BTC = 15000 sats at precision 8
    assert exact_notional(inst, 10_000, 500_000) == 20_000_000 and raw == 15_000
    assert ccy == pack_currency("BTC")


FEE_INSTRUMENTS = (
    Instrument.equity("AAPL.XNAS", taker_fee=0.0005, maker_fee=-0.0001),
    Instrument.fx_pair("USD/JPY.SIM", price_precision=3, maker_fee=-0.00001, taker_fee=0.00035),
    Instrument.crypto_perpetual("XBTUSD.BITMEX", base="BTC", quote="USD", is_inverse=True,
                                price_precision=1, size_precision=0, taker_fee=0.00075,
                                maker_fee=-0.00025),
)


@given(st.sampled_from(FEE_INSTRUMENTS), st.sampled_from(list(LiquiditySide)),
       st.integers(1, 10**12), st.integers(1, 10**9))
def test_the_integer_commission_equals_the_exact_fraction_rounded_by_the_mode(
    inst: Instrument, side: LiquiditySide, qty_raw: int, px_raw: int
) -> None:
    rate = inst.maker_fee if side == LiquiditySide.MAKER else inst.taker_fee
    exact = exact_notional(inst, qty_raw, px_raw) * Fraction(Decimal(repr(rate)))
    assert InstrumentRates("HALF_EVEN").commission(inst, side, qty_raw, px_raw)[0] == round(exact)
    assert InstrumentRates().commission(inst, side, qty_raw, px_raw)[0] == _half_away(exact)


def _half_away(x: Fraction) -> int:
    """The reference: |x| + 1/2 floored, with x's sign."""
    magnitude = int(abs(x) + Fraction(1, 2))
    return magnitude if x >= 0 else -magnitude


def test_constant_latency_is_per_operation_and_refuses_negative_values() -> None:
    lat = ConstantLatency(submit_ns=5, modify_ns=6, cancel_ns=7, event_ns=8)
    assert [lat.command_ns(op) for op in Operation] == [5, 6, 7] and lat.response_ns() == 8
    with pytest.raises(ValueError, match="cancel_ns must be >= 0 ns, got -1"):
        ConstantLatency(cancel_ns=-1)


def test_the_fill_model_is_deterministic_per_seed_and_round_trips_its_state() -> None:
    a, b = FillModel(0.5, seed=42), FillModel(0.5, seed=42)
    first = [a.fills_at_limit() for _ in range(50)]
    assert first == [b.fills_at_limit() for _ in range(50)] and 10 < sum(first) < 40
    doc = a.snapshot()
    nxt = [a.fills_at_limit() for _ in range(20)]
    c = FillModel(0.5, seed=7)
    c.restore(doc)
    assert [c.fills_at_limit() for _ in range(20)] == nxt
    assert FillModel(1.0).fills_at_limit() and not FillModel(0.0).fills_at_limit()
    with pytest.raises(ValueError, match="prob_fill_at_limit must be in"):
        FillModel(1.5)


def test_a_fill_model_that_never_drew_digests_as_its_generator_would() -> None:
    for seed, (state, inc) in PCG64_INITIAL.items():
        st = np.random.Generator(np.random.PCG64(seed)).bit_generator.state["state"]
        assert (st["state"], st["inc"]) == (state, inc)
    for seed in (0, 1, 42):
        unmade, made = FillModel(1.0, seed=seed), FillModel(1.0, seed=seed)
        made.snapshot()  # makes the generator
        assert unmade._made is None and made._made is not None
        assert unmade.digest_bytes() == made.digest_bytes()
    drew = FillModel(0.5, seed=0)
    drew.fills_at_limit()
    assert drew.digest_bytes() != FillModel(0.5, seed=0).digest_bytes()


def test_config_refuses_an_empty_venue_and_a_zero_depth() -> None:
    with pytest.raises(ValueError, match="venue must be a non-empty string"):
        ExchangeConfig(venue="")
    with pytest.raises(ValueError, match="depth must be >= 1, got 0"):
        ExchangeConfig(venue="SIM", depth=0)
    assert ExchangeConfig(venue="SIM").account_name == "SIM-001"


def test_crossing_through_and_trigger_rules_by_side() -> None:
    assert crosses(BUY, 100, 100) and not crosses(BUY, 100, 101) and crosses(BUY, None, 10**9)
    assert crosses(SELL, 100, 100) and not crosses(SELL, 100, 99)
    assert trades_through(BUY, 100, 99) and not trades_through(BUY, 100, 100)
    assert trades_through(SELL, 100, 101) and not trades_through(SELL, 100, 100)
    assert stop_triggered(BUY, 100, 100) and not stop_triggered(BUY, 100, 99)
    assert stop_triggered(SELL, 100, 100) and not stop_triggered(SELL, 100, 101)


def test_walk_takes_levels_in_order_and_stops_at_the_limit() -> None:
    levels = [(100, 2), (101, 0), (102, 5), (103, 9)]
    assert walk(levels, 6, BUY, None) == [(100, 2), (102, 4)]
    assert walk(levels, 20, BUY, 102) == [(100, 2), (102, 5)]
    assert walk(levels, 1, BUY, 99) == []


def test_day_end_is_the_next_utc_midnight() -> None:
    assert day_end_ns(0) == DAY_NS and day_end_ns(DAY_NS) == 2 * DAY_NS
    ts = int(np.datetime64("2023-12-25T22:39:00", "ns").astype(np.int64))
    assert day_end_ns(ts) == int(np.datetime64("2023-12-26T00:00:00", "ns").astype(np.int64))
