"""engines.routing's vectorised helpers: ``sole`` (one value everywhere) and ``take_rows`` (a
row copy equal to numpy's field-by-field fancy index), on real record arrays."""

from __future__ import annotations

import numpy as np

from domain.codec import as_kind, encode
from domain.kinds import RECORD_DTYPE, Kind
from engines.routing import instrument_ids, sole, take_rows, uniform_key


def _mixed(n: int) -> np.ndarray:
    recs = np.concatenate([encode(Kind.QUOTE, bid=100 + i, ask=101 + i, instrument_id=1 + i % 3)
                           if i % 4 else encode(Kind.TRADE, price=7 + i, instrument_id=9)
                           for i in range(n)])
    recs["seq"] = np.arange(1, n + 1)
    return recs


def test_sole_answers_one_value_or_none() -> None:
    assert sole(np.array([], dtype=np.uint16)) is None
    assert sole(np.array([5, 5, 5], dtype=np.uint16)) == 5
    assert sole(np.array([5, 6, 5], dtype=np.uint16)) is None
    assert sole(np.array([5, 5, 6], dtype=np.uint64)) is None
    assert sole(np.array([6, 5, 5], dtype=np.uint64)) is None


def test_take_rows_equals_the_fancy_index_byte_for_byte() -> None:
    recs = _mixed(40)
    idx = np.flatnonzero(recs["kind"] == Kind.QUOTE)[::-1]
    got = take_rows(recs, idx)
    assert got.dtype == RECORD_DTYPE
    assert got.tobytes() == recs[idx].tobytes()
    typed = as_kind(recs, Kind.QUOTE)
    rows = take_rows(typed, idx)
    assert rows.dtype == typed.dtype
    for name in typed.dtype.names:  # numpy's copy leaves the bytes between fields undefined
        assert rows[name].tolist() == typed[idx][name].tolist()
    assert rows.tobytes() == recs[idx].tobytes()  # whole rows, gaps included


def test_instrument_ids_of_one_kind_and_of_many() -> None:
    recs = _mixed(40)
    want = [int(r["instrument_id"][0]) for r in
            (as_kind(recs[i : i + 1], int(recs["kind"][i])) for i in range(len(recs)))]
    assert instrument_ids(recs).tolist() == want
    quotes = take_rows(recs, np.flatnonzero(recs["kind"] == Kind.QUOTE))
    assert instrument_ids(quotes).tolist() == as_kind(quotes, Kind.QUOTE)["instrument_id"].tolist()


def test_uniform_key_is_the_one_kind_and_instrument_or_none() -> None:
    recs = _mixed(40)
    assert uniform_key(recs) is None
    assert uniform_key(recs[:0]) is None
    quotes = take_rows(recs, np.flatnonzero(recs["kind"] == Kind.QUOTE))
    assert uniform_key(quotes) is None  # three instruments
    one = take_rows(quotes, np.flatnonzero(as_kind(quotes, Kind.QUOTE)["instrument_id"] == 2))
    assert len(one) > 3 and uniform_key(one) == int(Kind.QUOTE) << 32 | 2
    trades = take_rows(recs, np.flatnonzero(recs["kind"] == Kind.TRADE))
    assert uniform_key(trades) == int(Kind.TRADE) << 32 | 9
    strings = np.concatenate([encode(Kind.STRING, string_id=i) for i in range(3)])
    assert uniform_key(strings) == int(Kind.STRING) << 32  # a kind without an instrument
