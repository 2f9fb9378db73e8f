"""Instruments: factories, grids, notional maths and the INSTRUMENT record fields."""

from __future__ import annotations

import numpy as np
import pytest

from domain.codec import encode, fields_of
from domain.currencies import BTC, EUR, USD, USDT
from domain.enums import InstrumentClass, OrderSide
from domain.instruments import Instrument, InstrumentError, div_round
from domain.kinds import Kind
from domain.values import Money, Price, Quantity

FX = Instrument.fx_pair("EUR/USD.SIM")
ES = Instrument.future("ESZ4.GLBX", expiration_ns=1_734_000_000_000_000_000)
BTCUSDT = Instrument.crypto_perpetual("BTCUSDT-PERP.BINANCE")
XBTUSD = Instrument.crypto_perpetual(
    "XBTUSD.BITMEX", base="BTC", quote="USD", is_inverse=True, size_precision=0
)
AAPL = Instrument.equity("AAPL.XNAS")
ALL = [FX, ES, BTCUSDT, XBTUSD, AAPL]


def test_factories_set_class_and_currencies():
    assert FX.instrument_class == InstrumentClass.FX_PAIR
    assert (FX.base_currency, FX.quote_currency, FX.settlement_currency) == (EUR, USD, USD)
    assert ES.tick_size == Price.from_str("0.25") and ES.multiplier == Quantity(50, 0)
    assert BTCUSDT.settlement_currency == USDT and not BTCUSDT.is_inverse
    assert XBTUSD.settlement_currency == BTC and XBTUSD.is_inverse
    assert AAPL.base_currency is None and AAPL.price_precision == 2


@pytest.mark.parametrize("inst", ALL, ids=lambda i: str(i.id))
def test_instrument_fields_round_trip_through_a_record(inst):
    record = encode(Kind.INSTRUMENT, **inst.to_fields(17))
    fields = fields_of(record)
    assert fields["instrument_id"] == 17
    assert Instrument.from_fields(fields, str(inst.id)) == inst


def test_tick_and_lot_grids():
    assert ES.is_on_tick(ES.make_price("5000.25").raw)
    assert not ES.is_on_tick(ES.make_price("5000.10").raw)
    lots = Instrument.equity("X.Y", lot_size="100")
    assert lots.is_on_lot(300) and not lots.is_on_lot(250)


def test_make_price_and_qty_use_the_instrument_precisions():
    assert FX.make_price(1.123456) == Price(112346, 5)
    assert FX.make_price("1.1") == Price(110000, 5)
    assert BTCUSDT.make_qty("0.001") == Quantity(1, 3)
    with pytest.raises(ValueError):
        BTCUSDT.make_qty("0.0001")


def test_linear_notional_respects_the_multiplier():
    assert ES.notional(Quantity(2, 0), Price.from_str("5000.25")) == Money(50002500, USD)
    n = BTCUSDT.notional(Quantity.from_str("0.500"), Price.from_str("60000.0"))
    assert n.currency == USDT and n.as_double() == 30000.0


def test_inverse_notional_is_contracts_over_price_in_base():
    # 100 contracts of 1 USD at 50 000 USD/BTC = 0.002 BTC
    n = XBTUSD.notional(Quantity(100, 0), Price.from_str("50000.0"))
    assert n.currency == BTC and n.as_double() == pytest.approx(0.002)
    assert n.raw == 200_000


def test_cash_flow_signs_follow_side_and_inverse():
    assert ES.cash_flow_raw(OrderSide.BUY, 1, 500000) < 0 < ES.cash_flow_raw(OrderSide.SELL, 1, 500000)
    assert XBTUSD.cash_flow_raw(OrderSide.BUY, 100, 500000) > 0


def test_invalid_definitions_name_the_field():
    with pytest.raises(InstrumentError, match="tick_size"):
        Instrument.future("ESZ4.GLBX", tick_size="0.00")
    with pytest.raises(InstrumentError, match="multiplier"):
        Instrument.future("ESZ4.GLBX", multiplier=0)
    with pytest.raises(InstrumentError, match="BASE/QUOTE"):
        Instrument.fx_pair("EURUSD.SIM")
    with pytest.raises(InstrumentError, match="maker_fee"):
        Instrument.equity("X.Y", maker_fee=float("nan"))


def test_div_round_rounds_half_away_from_zero():
    assert [div_round(n, 2) for n in (-3, -1, 1, 3)] == [-2, -1, 1, 2]
    assert div_round(np.int64(7).item(), 3) == 2
