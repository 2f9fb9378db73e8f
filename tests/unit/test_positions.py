"""Position maths against hand-computed values: averages, PnL, flips, inverse, commissions."""

from __future__ import annotations

import pytest

from domain.currencies import BTC, USD
from domain.enums import OrderSide, PositionSide
from domain.instruments import Instrument
from domain.positions import Position, PositionEffect, PositionError
from domain.values import Money

BUY, SELL = OrderSide.BUY, OrderSide.SELL
AAPL = Instrument.equity("AAPL.XNAS")  # price precision 2, USD precision 2
ES = Instrument.future("ESZ4.GLBX")  # x50, tick 0.25
XBTUSD = Instrument.crypto_perpetual(
    "XBTUSD.BITMEX", base="BTC", quote="USD", is_inverse=True, size_precision=0
)
BTCUSDT = Instrument.crypto_perpetual("BTCUSDT-PERP.BINANCE")


def test_a_long_closed_in_two_parts_realizes_the_hand_computed_pnl_with_commissions():
    pos = Position(AAPL, position_id=1)
    assert pos.apply_fill(BUY, 10, 100_00, commission_raw=100, ts=1) == PositionEffect.OPENED
    assert pos.side == PositionSide.LONG and pos.avg_px_open == 100.0
    assert pos.apply_fill(SELL, 4, 110_00, commission_raw=100, ts=2) == PositionEffect.CHANGED
    assert pos.fill_realized_raw == 40_00  # 4 * (110 - 100)
    assert pos.apply_fill(SELL, 6, 120_00, commission_raw=100, ts=5) == PositionEffect.CLOSED
    # 4 * 10 + 6 * 20 = 160, minus 3 commissions of 1.00
    assert pos.realized_pnl == Money(157_00, USD)
    assert pos.avg_px_close == pytest.approx(116.0)
    assert pos.side == PositionSide.FLAT and pos.peak_raw == 10
    assert pos.ts_opened == 1 and pos.ts_closed == 5 and pos.duration_ns == 4
    assert pos.open_cost_raw == 0


def test_average_open_price_is_quantity_weighted_and_unrealized_marks_to_price():
    pos = Position(AAPL)
    pos.apply_fill(BUY, 1, 100_00)
    pos.apply_fill(BUY, 3, 104_00)
    assert pos.avg_px_open == pytest.approx(103.0)
    assert pos.unrealized_pnl(105_00) == Money(8_00, USD)  # 4 * (105 - 103)
    assert pos.notional_raw(105_00) == 420_00


def test_a_short_profits_when_the_price_falls():
    pos = Position(ES)
    pos.apply_fill(SELL, 3, 5000_00)
    assert pos.signed_raw == -3 and pos.side == PositionSide.SHORT
    assert pos.unrealized_pnl_raw(4990_00) == 3 * 10 * 50 * 100  # 1 500.00 USD
    pos.apply_fill(BUY, 1, 4995_00)
    assert pos.realized_pnl_raw == 5 * 50 * 100  # 250.00 USD


def test_a_flip_closes_the_old_position_and_opens_the_remainder_opposite():
    pos = Position(ES, position_id=9, instrument_id=3, strategy_id=4)
    pos.apply_fill(BUY, 2, 5000_00, ts=10, client_order_id=1)
    effect = pos.apply_fill(SELL, 5, 4990_00, commission_raw=5_00, ts=20, client_order_id=2,
                            trade_id=77)
    assert effect == PositionEffect.FLIPPED
    closed = pos.closed_fields
    assert closed is not None
    # closed: 2 * (4990 - 5000) * 50 = -1000.00, minus 2/5 of the 5.00 commission
    assert closed["realized_pnl"] == -1000_00 - 2_00
    assert closed["signed_qty"] == 0 and closed["side"] == PositionSide.FLAT
    assert closed["opening_order_id"] == 1 and closed["ts_opened"] == 10
    assert closed["last_trade_id"] == 77
    # new: short 3 at 4990, carrying 3/5 of the commission
    fields = pos.to_fields()
    assert fields["signed_qty"] == -3 and fields["side"] == PositionSide.SHORT
    assert fields["avg_px_open"] == 4990.0 and fields["realized_pnl"] == -3_00
    assert fields["opening_order_id"] == 2 and fields["ts_opened"] == 20
    assert pos.fill_realized_raw == -1000_00 and pos.peak_raw == 3


def test_an_inverse_long_realizes_in_base_currency():
    pos = Position(XBTUSD)
    pos.apply_fill(BUY, 100, 50000_0)  # price precision 1
    pos.apply_fill(SELL, 100, 55000_0)
    # 100 * (1/50000 - 1/55000) BTC = 0.000181818.. -> 0.00018182
    assert pos.realized_pnl == Money(18182, BTC)
    assert pos.avg_px_close == 55000.0


def test_an_inverse_short_marks_and_averages_harmonically():
    pos = Position(XBTUSD)
    pos.apply_fill(SELL, 100, 40000_0)
    pos.apply_fill(SELL, 100, 60000_0)
    # harmonic mean: 200 / (100/40000 + 100/60000) = 48000
    assert pos.avg_px_open == pytest.approx(48000.0)
    # at 48000 the short is flat in BTC terms (up to the rounding of the flows)
    assert abs(pos.unrealized_pnl_raw(48000_0)) <= 1
    # price falls to 40000: 200 * (1/40000 - 1/48000) = 0.00083333 BTC gained
    assert pos.unrealized_pnl_raw(40000_0) == pytest.approx(83333, abs=1)


def test_a_commission_in_another_currency_is_kept_apart_from_realized_pnl():
    pos = Position(BTCUSDT)
    usd = USD.packed
    pos.apply_fill(BUY, 1000, 60000_0, commission_raw=250, commission_currency=usd)
    pos.apply_fill(SELL, 1000, 60100_0, commission_raw=250, commission_currency=usd)
    assert pos.realized_pnl.as_double() == pytest.approx(100.0)  # 1 BTC * 100 USDT
    assert pos.commissions() == {usd: 500}


def test_reopening_after_close_starts_a_new_cycle():
    pos = Position(AAPL)
    pos.apply_fill(BUY, 1, 100_00)
    pos.apply_fill(SELL, 1, 101_00)
    assert pos.apply_fill(SELL, 2, 102_00, ts=50) == PositionEffect.OPENED
    assert pos.realized_pnl_raw == 0 and pos.ts_opened == 50 and pos.avg_px_close == 0.0
    assert pos.lifetime_realized_raw == 1_00


def test_a_non_positive_quantity_or_no_side_is_refused():
    pos = Position(AAPL, position_id=3)
    with pytest.raises(PositionError, match="last_qty"):
        pos.apply_fill(BUY, 0, 100)
    with pytest.raises(PositionError, match="side"):
        pos.apply_fill(OrderSide.NO_SIDE, 1, 100)


@pytest.mark.parametrize(("fills", "side"), [
    ([(BUY, 10)], PositionSide.LONG),
    ([(SELL, 10)], PositionSide.SHORT),
    ([(BUY, 10), (SELL, 10)], PositionSide.FLAT),
])
def test_the_record_fields_carry_the_side_the_position_reports(fills, side):
    pos = Position(AAPL, position_id=1)
    for order_side, qty in fills:
        pos.apply_fill(order_side, qty, 100_00)
    assert pos.side == side
    assert pos.to_fields()["side"] == int(side) and type(pos.to_fields()["side"]) is int
