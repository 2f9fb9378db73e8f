"""The schema table: layout rules, fingerprint, and refusal of malformed declarations."""

from __future__ import annotations

import numpy as np
import pytest

from domain.kinds import KIND_DTYPES, KIND_TABLE, LAYOUTS, RECORD_DTYPE, SCHEMA_FINGERPRINT, Kind
from domain.schema import (
    HEADER_SIZE,
    RECORD_SIZE,
    Field,
    KindSpec,
    SchemaError,
    build_layouts,
    fingerprint,
)


def test_every_kind_is_exactly_one_record_wide_and_little_endian():
    assert RECORD_DTYPE.itemsize == RECORD_SIZE == 128
    for dtype in KIND_DTYPES.values():
        assert dtype.itemsize == RECORD_SIZE
        for name in dtype.names:
            assert dtype.fields[name][0].byteorder in ("<", "|", "=")


def test_header_fields_sit_at_the_same_offsets_in_every_kind():
    for dtype in KIND_DTYPES.values():
        for name in RECORD_DTYPE.names[:-1]:
            assert dtype.fields[name][1] == RECORD_DTYPE.fields[name][1]


def test_payload_fields_are_naturally_aligned_and_do_not_overlap():
    for code, layout in LAYOUTS.items():
        spans = []
        for field in layout.spec.fields:
            size = np.dtype(field.type).itemsize
            offset = layout.offsets[field.name]
            assert offset >= HEADER_SIZE
            if not field.type.startswith("S"):
                assert offset % size == 0, (Kind(code).name, field.name)
            spans.append((offset, offset + size))
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert end <= start, Kind(code).name


def test_the_issue_lists_every_required_kind():
    required = {
        "INSTRUMENT", "STRING", "QUOTE", "TRADE", "BAR", "BOOK_DELTA", "TIMER", "RUN_STARTED",
        "RUN_ENDED", "SUBMIT_ORDER", "MODIFY_ORDER", "CANCEL_ORDER", "CANCEL_ALL_ORDERS",
        "SET_TRADING_STATE", "ORDER_INITIALIZED", "ORDER_SUBMITTED", "ORDER_DENIED",
        "ORDER_ACCEPTED", "ORDER_REJECTED", "ORDER_CANCELED", "ORDER_EXPIRED", "ORDER_UPDATED",
        "ORDER_TRIGGERED", "ORDER_FILLED", "ORDER_CANCEL_REJECTED", "ORDER_MODIFY_REJECTED",
        "POSITION_OPENED", "POSITION_CHANGED", "POSITION_CLOSED", "ACCOUNT_STATE",
    }
    assert required <= {spec.name for spec in KIND_TABLE}


def test_fingerprint_changes_with_any_layout_change():
    # (that it is stable is pinned against a stored journal: tests/unit/test_schema_fixture.py)
    renamed = [*KIND_TABLE[:-1], KindSpec(KIND_TABLE[-1].name, KIND_TABLE[-1].code,
               (*KIND_TABLE[-1].fields[:-1], Field("renamed", KIND_TABLE[-1].fields[-1].type)),
               "", "event")]
    assert fingerprint(build_layouts(renamed)) != SCHEMA_FINGERPRINT
    retyped = [*KIND_TABLE[:-1], KindSpec(KIND_TABLE[-1].name, KIND_TABLE[-1].code,
               (*KIND_TABLE[-1].fields[:-1], Field(KIND_TABLE[-1].fields[-1].name, "<u8")),
               "", "event")]
    assert fingerprint(build_layouts(retyped)) != SCHEMA_FINGERPRINT


_ONE_FIELD = (Field("a", "<i8"),)


def _spec(name="X", code=1000, fields=_ONE_FIELD):
    return KindSpec(name, code, tuple(fields), "test", "data")


def test_a_duplicate_kind_code_is_refused_naming_both_kinds():
    with pytest.raises(SchemaError, match="kind code 1000 is declared twice: A and B"):
        build_layouts([_spec("A"), _spec("B")])


def test_a_duplicate_kind_name_is_refused():
    with pytest.raises(SchemaError, match="kind name A is declared twice"):
        build_layouts([_spec("A", 1000), _spec("A", 1001)])


def test_a_field_declared_twice_is_refused():
    with pytest.raises(SchemaError, match="field 'a' is declared twice"):
        build_layouts([_spec(fields=(Field("a", "<i8"), Field("a", "<u4")))])


def test_a_field_that_clashes_with_the_header_is_refused():
    with pytest.raises(SchemaError, match="field 'seq' clashes with a header field"):
        build_layouts([_spec(fields=(Field("seq", "<u8"),))])


def test_a_record_wider_than_128_bytes_is_refused_with_its_width():
    fields = [Field(f"f{i}", "<i8") for i in range(12)]
    with pytest.raises(SchemaError, match="record is 136 bytes wide, the limit is 128"):
        build_layouts([_spec(fields=fields)])


def test_an_unknown_type_or_role_is_refused():
    with pytest.raises(SchemaError, match="has type 'object'"):
        build_layouts([_spec(fields=(Field("a", "object"),))])
    with pytest.raises(SchemaError, match="unknown role 'weird'"):
        build_layouts([_spec(fields=(Field("a", "<i8", "weird"),))])
    with pytest.raises(SchemaError, match="refers to 'p', which the kind lacks"):
        build_layouts([_spec(fields=(Field("a", "<i8", "price:p"),))])


def test_a_kind_code_out_of_range_is_refused():
    with pytest.raises(SchemaError, match="code must be in 1..65535, got 0"):
        build_layouts([_spec(code=0)])
