"""STRING records built as bytes (``string_record_bytes`` / ``StringTable.intern_packed``) and
applied from their fields (``StringTable.apply_part``, the cache's path) equal the numpy path."""

from __future__ import annotations

import numpy as np
import pytest

from domain.codec import (
    RAW_STRUCTS,
    RAW_TUPLES,
    RecordError,
    as_kind,
    string_record_bytes,
    string_records,
)
from domain.kinds import RECORD_DTYPE, Kind
from domain.strings import StringTable

TEXTS = ["", "a", "x" * 80, "y" * 81, "é" * 100, "order list 5: order 7: reason", "z" * 400]
STRING = int(Kind.STRING)


@pytest.mark.parametrize("text", TEXTS)
def test_packed_records_equal_the_array_records_with_their_header(text: str) -> None:
    recs = string_records(9, text)
    recs["ts_event"] = recs["ts_init"] = 1_700_000_000_000_000_123
    recs["cause"], recs["source"] = 42, 3
    assert string_record_bytes(9, text, 1_700_000_000_000_000_123, 42, 3) == recs.tobytes()
    table = StringTable()
    table.intern("first")
    sid, data = table.intern_packed(text, 5, 6, 7)
    assert sid == 2 and table.text(2) == text
    assert table.intern_packed(text, 5, 6, 7) == (2, None)
    assert data == string_record_bytes(2, text, 5, 6, 7)


def test_parts_applied_from_fields_rebuild_the_table_like_records() -> None:
    by_record, by_fields = StringTable(), StringTable()
    unpack, make = RAW_STRUCTS[STRING].unpack_from, RAW_TUPLES[STRING]._make
    for sid, text in enumerate(TEXTS, start=1):
        recs = string_records(sid, text)
        recs["seq"] = np.arange(1, len(recs) + 1) + 10 * sid
        for i in range(len(recs)):
            by_record.apply(recs[i : i + 1])
            rec = make(unpack(recs[i : i + 1].tobytes()))
            by_fields.apply_part(rec.seq, rec.string_id, rec.part, rec.n_parts,
                                 rec.text.rstrip(b"\x00"))
    assert by_fields.items() == by_record.items() == list(enumerate(TEXTS, start=1))


def test_a_part_out_of_order_names_its_seq_either_way() -> None:
    recs = string_records(4, "w" * 200)
    recs["seq"] = [7, 8, 9]
    typed = as_kind(recs, STRING)
    with pytest.raises(RecordError, match=r"seq 8: string 4 part 1 of 3 out of order "
                                          r"\(expected part 0\)"):
        StringTable().apply(recs[1:2])
    with pytest.raises(RecordError, match=r"seq 8: string 4 part 1 of 3 out of order"):
        StringTable().apply_part(8, 4, 1, 3, bytes(typed["text"][1]))
    assert recs.dtype == RECORD_DTYPE
