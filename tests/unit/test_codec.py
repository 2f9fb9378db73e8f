"""Raw record encoding, decoding and string interning."""

from __future__ import annotations

import numpy as np
import pytest

from domain.codec import (
    RecordError,
    as_kind,
    empty,
    encode,
    fields_of,
    kind_name,
    string_records,
)
from domain.kinds import Kind
from domain.schema import NULL_I64
from domain.strings import StringTable


def test_encode_then_fields_of_returns_the_same_values():
    record = encode(Kind.QUOTE, seq=7, ts_init=5, instrument_id=3, price_precision=5,
                    bid=110_000, ask=110_010, bid_size=1, ask_size=2)
    fields = fields_of(record)
    assert fields["seq"] == 7 and fields["kind"] == Kind.QUOTE
    assert (fields["bid"], fields["ask"], fields["instrument_id"]) == (110_000, 110_010, 3)


def test_optional_prices_default_to_null():
    record = encode(Kind.ORDER_INITIALIZED, quantity=5)
    assert fields_of(record)["price"] == NULL_I64
    assert fields_of(record)["trigger_price"] == NULL_I64


def test_an_unknown_field_is_refused_naming_kind_and_field():
    with pytest.raises(RecordError, match="kind QUOTE has no field 'price' \\(value 1\\)"):
        encode(Kind.QUOTE, price=1)


def test_a_value_that_does_not_fit_is_refused_naming_the_field():
    with pytest.raises(RecordError, match="field 'price_precision' cannot hold 300"):
        encode(Kind.QUOTE, price_precision=300)


def test_an_unknown_kind_is_refused_with_its_seq():
    record = empty(Kind.QUOTE)
    record["kind"] = 999
    record["seq"] = 42
    with pytest.raises(RecordError, match="seq 42: unknown record kind 999"):
        fields_of(record)
    assert kind_name(999) == "UNKNOWN(999)"


def test_bulk_columns_through_as_kind_write_the_shared_buffer():
    records = empty(Kind.TRADE, 4)
    typed = as_kind(records, Kind.TRADE)
    typed["price"] = np.arange(4) * 25
    assert [fields_of(r)["price"] for r in records] == [0, 25, 50, 75]
    assert records.dtype.itemsize == 128


@pytest.mark.parametrize("text", ["", "ESH4.GLBX", "é" * 60, "x" * 81, "a longer reason " * 20])
def test_strings_of_any_length_intern_and_rebuild(text):
    table, rebuilt = StringTable(), StringTable()
    string_id, records = table.intern(text)
    assert string_id == 1
    assert len(records) == max(1, -(-len(text.encode()) // 80))
    for record in records:
        rebuilt.apply(record)
    assert rebuilt.text(1) == text
    assert table.intern(text) == (1, None)


def test_string_parts_out_of_order_are_refused():
    records = string_records(5, "y" * 200)
    table = StringTable()
    with pytest.raises(RecordError, match="string 5 part 1 of 3 out of order"):
        table.apply(records[1])


def test_redefining_a_string_id_with_other_text_is_refused():
    table = StringTable()
    table.apply(string_records(1, "A")[0])
    with pytest.raises(RecordError, match="string 1 redefined as 'B', was 'A'"):
        table.apply(string_records(1, "B")[0])


def test_a_string_with_a_nul_is_refused():
    with pytest.raises(RecordError, match="contains a NUL"):
        string_records(1, "a\x00b")
