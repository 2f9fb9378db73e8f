"""Every kind's domain class round-trips through its record; invalid values are refused."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import enums
from domain.codec import RecordError
from domain.currencies import Currency
from domain.kinds import KIND_DTYPES, KIND_TABLE, Kind
from domain.records import RECORD_CLASSES, from_record
from domain.values import Money, Price, Quantity

CURRENCIES = ["USD", "EUR", "JPY", "BTC", "USDT", "GBP"]
INT_RANGES = {
    "<u8": (0, 2**64 - 1), "<i8": (-(2**63) + 1, 2**63 - 1), "<u4": (0, 2**32 - 1),
    "<i4": (-(2**31), 2**31 - 1), "<u2": (0, 2**16 - 1), "<i2": (-(2**15), 2**15 - 1),
    "u1": (0, 255), "i1": (-128, 127),
}
HEADER = {
    "seq": st.integers(0, 2**64 - 1), "ts_event": st.integers(-(2**63), 2**63 - 1),
    "ts_init": st.integers(-(2**63), 2**63 - 1), "cause": st.integers(0, 2**64 - 1),
    "flags": st.integers(0, 0x1F), "source": st.integers(0, 2**32 - 1),
}


def _fixed(cls, precision, optional, nonneg):
    low = 0 if nonneg else -(2**63) + 1
    values = st.builds(cls, st.integers(low, 2**63 - 1), st.just(precision))
    return st.none() | values if optional else values


@st.composite
def record_values(draw, code: int):
    """Draws keyword arguments for the record class of ``code``."""
    cls = RECORD_CLASSES[code]
    spec = cls.spec
    shared = {}
    kwargs = {name: draw(strat) for name, strat in HEADER.items()}
    for codec in cls._codecs:
        field = next(f for f in spec.fields if f.name == codec.attr)
        prefix = codec.role.split(":")[0]
        if prefix in ("price", "price?", "qty", "qty?"):
            precision = shared.setdefault(codec.target, draw(st.integers(0, 9)))
            value_cls = Price if prefix.startswith("price") else Quantity
            kwargs[codec.attr] = draw(
                _fixed(value_cls, precision, prefix.endswith("?"), value_cls is Quantity)
            )
        elif prefix == "money":
            code_ = shared.setdefault(codec.target, draw(st.sampled_from(CURRENCIES)))
            raw = draw(st.integers(-(2**63) + 1, 2**63 - 1))
            kwargs[codec.attr] = Money(raw, Currency.from_code(code_))
        elif prefix == "currency":
            kwargs[codec.attr] = draw(st.sampled_from(["", *CURRENCIES]))
        elif prefix == "enum":
            kwargs[codec.attr] = draw(st.sampled_from(list(codec.enum)))
        elif prefix == "flag":
            kwargs[codec.attr] = codec.enum(draw(st.integers(0, 3)))
        elif prefix == "text":
            kwargs[codec.attr] = draw(st.binary(max_size=80).filter(lambda b: b"\0" not in b))
        elif field.type == "<f8":
            kwargs[codec.attr] = draw(st.floats(allow_nan=False))
        else:
            low, high = INT_RANGES[field.type]
            kwargs[codec.attr] = draw(st.integers(low, high))
    return kwargs


@pytest.mark.parametrize("code", sorted(KIND_DTYPES), ids=lambda c: Kind(c).name)
@given(data=st.data())
def test_from_record_of_to_record_is_the_identity(code, data):
    cls = RECORD_CLASSES[code]
    value = cls(**data.draw(record_values(code)))
    record = value.to_record()
    assert record.dtype.itemsize == 128 and record["kind"][0] == code
    assert from_record(record) == value
    assert from_record(record[0]) == value


def test_every_kind_of_the_table_has_a_record_class():
    assert {int(Kind[s.name]) for s in KIND_TABLE} == set(RECORD_CLASSES)


@given(st.integers(0, 9), st.integers(0, 9).filter(bool))
def test_prices_that_share_a_precision_field_must_agree(precision, delta):
    other = (precision + delta) % 10
    quote = RECORD_CLASSES[Kind.QUOTE](
        instrument_id=1, bid=Price(1, precision), ask=Price(2, other),
        bid_size=Quantity(1, 0), ask_size=Quantity(1, 0),
    )
    with pytest.raises(RecordError, match="field 'ask' needs price_precision="):
        quote.to_record()


@given(st.integers(2**32, 2**70))
def test_an_id_too_large_for_its_field_is_refused(value):
    trade = RECORD_CLASSES[Kind.TRADE](
        instrument_id=value, aggressor_side=enums.AggressorSide.BUYER,
        price=Price(1, 2), size=Quantity(1, 0), trade_id=1,
    )
    with pytest.raises(RecordError, match=f"field 'instrument_id' cannot hold {value}"):
        trade.to_record()


def test_a_required_price_cannot_be_none():
    trade = RECORD_CLASSES[Kind.TRADE](
        instrument_id=1, aggressor_side=1, price=None, size=Quantity(1, 0), trade_id=1,
    )
    with pytest.raises(RecordError, match="field 'price' is required, got None"):
        trade.to_record()


def test_an_enum_field_refuses_an_unknown_member():
    with pytest.raises(ValueError, match="9 is not a valid OrderSide"):
        RECORD_CLASSES[Kind.ORDER_FILLED](
            client_order_id=1, instrument_id=1, strategy_id=1, venue_order_id=1, trade_id=1,
            position_id=1, side=9, liquidity_side=1, account_id=1, last_qty=Quantity(1, 0),
            last_px=Price(1, 0), commission=Money(0, Currency.from_code("USD")),
        )


def test_decoding_needs_no_state_beyond_the_record():
    value = RECORD_CLASSES[Kind.QUOTE](
        instrument_id=3, bid=Price.from_str("1.10001"), ask=Price.from_str("1.10003"),
        bid_size=Quantity.from_str("1.5"), ask_size=Quantity.from_str("2.5"), seq=9,
    )
    raw = np.frombuffer(value.to_record().tobytes(), dtype=KIND_DTYPES[Kind.QUOTE])
    decoded = from_record(raw)
    assert (str(decoded.bid), str(decoded.ask_size)) == ("1.10001", "2.5")
