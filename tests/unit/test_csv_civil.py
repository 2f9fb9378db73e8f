"""Fixed-layout date-times by digit arithmetic equal what numpy's datetime64 parser gives: the
same ns for every value the fast path takes, and it takes no value the exact path refuses."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replay.loaders.csv_chunks import iter_row_chunks
from replay.loaders.csv_civil import HISTDATA, civil_ns, iso_layout
from replay.loaders.csv_time import _parse_iso
from replay.loaders.errors import DataError
from replay.loaders.histdata import EST_OFFSET_NS, parse_histdata_times_exact

_PARTS = st.tuples(st.integers(1600, 2300), st.integers(0, 13), st.integers(0, 32),
                   st.integers(0, 25), st.integers(0, 61), st.integers(0, 61),
                   st.integers(0, 999_999_999))


def _chunk(tmp_path, values: list[str], names=None):
    path = tmp_path / "t.csv"
    path.write_text(("" if names else "timestamp\n") + "\n".join(values) + "\n")
    return next(iter_row_chunks(path, names=names))


def _exact(parse, *args):
    try:
        return parse(*args).tolist()
    except DataError:
        return "refused"


@settings(max_examples=150, deadline=None)
@given(st.lists(_PARTS, min_size=1, max_size=5), st.sampled_from(["T", " "]),
       st.sampled_from(["", ":SS", ":SS.f"]), st.integers(1, 9),
       st.sampled_from(["", "Z", "+01:30", "-05:00", "+00:00"]), st.integers(-10, 10))
def test_iso_values_of_one_layout_equal_numpys_parse(tmp_path_factory, parts, sep, seconds,
                                                     digits, zone, default_hours):
    values = []
    for y, mo, d, h, mi, s, f in parts:
        text = f"{y:04d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}"
        if seconds:
            text += f":{s:02d}"
        if seconds == ":SS.f":
            text += "." + f"{f:09d}"[:digits]
        values.append(text + zone)
    chunk = _chunk(tmp_path_factory.mktemp("iso"), values)
    col, offset = chunk.columns["timestamp"], default_hours * 3_600_000_000_000
    fast = civil_ns(col, iso_layout(col.raw(0)), offset)
    exact = _exact(_parse_iso, chunk, "timestamp", col.byte_matrix(), offset)
    assert fast is None or fast.tolist() == exact


@settings(max_examples=150, deadline=None)
@given(st.lists(_PARTS, min_size=1, max_size=5))
def test_histdata_times_equal_numpys_parse(tmp_path_factory, parts):
    values = [f"{y:04d}{mo:02d}{d:02d} {h:02d}{mi:02d}{s:02d}{f % 1000:03d},1,2,0"
              for y, mo, d, h, mi, s, f in parts]
    chunk = _chunk(tmp_path_factory.mktemp("hd"), values, names=["timestamp", "b", "a", "v"])
    fast = civil_ns(chunk.columns["timestamp"], HISTDATA, EST_OFFSET_NS)
    exact = _exact(parse_histdata_times_exact, chunk)
    assert fast is None or fast.tolist() == exact


@pytest.mark.parametrize("value", ["2023-02-29 10:00:00", "2024-04-31 10:00:00",
                                   "2024-13-01 10:00:00", "2024-01-01 24:00:00",
                                   "2024-01-01 10:60:00", "2024-01-01 10:00:60",
                                   "2300-01-01 10:00:00", "2024-01-01 10:0a:00"])
def test_a_value_numpy_refuses_is_left_to_the_exact_path(tmp_path, value):
    chunk = _chunk(tmp_path, ["2024-02-29 10:00:00", value])
    col = chunk.columns["timestamp"]
    assert civil_ns(col, iso_layout(col.raw(0))) is None


def test_known_values():
    import pyarrow as pa

    from replay.loaders.csv_read import TextColumn

    col = TextColumn(pa.array([b"2012-02-01 00:00:00+00:00", b"2012-02-01 01:30:00+01:30"]))
    t = np.datetime64("2012-02-01T00:00:00", "ns").view(np.int64)
    assert civil_ns(col, iso_layout(col.raw(0))).tolist() == [t, t]
    col = TextColumn(pa.array([b"20200101 170000065"]))
    t = np.datetime64("2020-01-01T22:00:00.065", "ns").view(np.int64)
    assert civil_ns(col, HISTDATA, EST_OFFSET_NS).tolist() == [t]
    assert iso_layout(b"2024-03-01T12") is None and iso_layout(b"1704153600") is None
