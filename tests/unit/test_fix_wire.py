"""adapters.fix.wire builds the bytes simplefix builds, byte for byte (the session's encoder)."""

from __future__ import annotations

import datetime
import time

import simplefix
from hypothesis import given
from hypothesis import strategies as st

from adapters.fix import wire

_VALUES = st.one_of(
    st.binary(min_size=1, max_size=12).filter(lambda b: b"\x01" not in b),
    st.integers(min_value=0, max_value=10**12),
    st.text(alphabet="ABCxyz0123.-:é", min_size=1, max_size=10),
)


#: tags of the standard header and trailer: a session never puts them in a message's body
_HEADER_TAGS = frozenset({8, 9, 10, 34, 35, 43, 49, 52, 56, 122})


def _simplefix(begin: bytes, msg_type: bytes, header: list, body: list) -> bytes:
    msg = simplefix.FixMessage()
    msg.append_pair(8, begin, header=True)
    msg.append_pair(35, msg_type, header=True)
    for tag, value in header:
        msg.append_pair(tag, value, header=True)
    for tag, value in body:
        msg.append_pair(tag, value)
    return msg.encode()


@given(msg_type=st.sampled_from([b"D", b"F", b"A", b"0", b"2", b"4", b"AE"]),
       header=st.lists(st.tuples(st.sampled_from([49, 56, 34, 43, 122]), _VALUES), max_size=5),
       body=st.lists(st.tuples(st.integers(min_value=11, max_value=9999).filter(
           lambda tag: tag not in _HEADER_TAGS), _VALUES), max_size=12))
def test_encode_is_simplefix_byte_for_byte(msg_type, header, body) -> None:
    assert wire.encode(b"FIX.4.2", msg_type, [*header, *body]) == \
        _simplefix(b"FIX.4.2", msg_type, header, body)


@given(msg_type=st.sampled_from([b"D", b"F", b"G", b"A", b"0", b"2", b"4", b"5"]),
       sender=st.binary(min_size=1, max_size=10).filter(lambda b: b"\x01" not in b),
       target=st.binary(min_size=1, max_size=10).filter(lambda b: b"\x01" not in b),
       seq=st.integers(min_value=1, max_value=10**9),
       sending_time=st.sampled_from([b"20260101-00:00:00.000", b"20261207-23:59:59.999"]),
       poss_dup=st.booleans(),
       body=st.lists(st.tuples(st.integers(min_value=11, max_value=9999).filter(
           lambda tag: tag not in _HEADER_TAGS), _VALUES), max_size=12))
def test_a_session_template_is_simplefix_byte_for_byte(msg_type, sender, target, seq,
                                                        sending_time, poss_dup, body) -> None:
    header = [(49, sender), (56, target), (34, seq), (52, sending_time)]
    extra = [(43, b"Y"), (122, b"20251231-23:59:59.500")] if poss_dup else []
    got = wire.SessionTemplate(b"FIX.4.2", sender, target).encode(
        msg_type, seq, sending_time, wire.fields_bytes(body), wire.fields_bytes(extra))
    assert got == wire.encode(b"FIX.4.2", msg_type, [*header, *extra, *body])
    assert got == _simplefix(b"FIX.4.2", msg_type, [*header, *extra], body)


def test_utc_now_is_the_wall_clock_as_a_millisecond_utc_timestamp() -> None:
    before = time.time()
    now = wire.utc_now()
    after = time.time()
    parsed = datetime.datetime.strptime(now.decode(), "%Y%m%d-%H:%M:%S.%f").replace(
        tzinfo=datetime.UTC).timestamp()
    assert len(now) == 21 and int(before * 1000) / 1000 <= parsed <= after
    assert wire.utc_now() >= now  # the cached date and second never run behind the clock


@given(st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False))
def test_utc_timestamp_is_simplefixs(ts: float) -> None:
    msg = simplefix.FixMessage()
    msg.append_utc_timestamp(52, ts, precision=3)
    assert wire.utc_timestamp(ts) == msg.get(52)


def test_a_new_order_single_as_the_session_sends_it() -> None:
    body = [(11, b"7"), (21, b"1"), (55, b"MSFT"), (54, b"1"), (38, b"100"), (40, b"2"),
            (44, b"10.5"), (59, b"0")]
    header = [(49, b"RINGBUS"), (56, b"ORDERMATCH"), (34, 12), (52, b"20260101-00:00:00.000")]
    out = wire.encode(b"FIX.4.2", b"D", [*header, *body])
    assert out == _simplefix(b"FIX.4.2", b"D", header, body)
    parser = simplefix.FixParser()
    parser.append_buffer(out)
    msg = parser.get_message()
    assert msg.get(35) == b"D" and msg.get(34) == b"12" and msg.get(44) == b"10.5"
