"""Outbound FIX messages to wire bytes in one pass.

Contract: :func:`encode` returns exactly the bytes ``simplefix.FixMessage.encode`` produces for
the same BeginString, MsgType and fields in the same order (BodyLength and CheckSum computed
the same way; values as simplefix's ``fix_val`` converts them), and :func:`utc_timestamp` the
value ``append_utc_timestamp(tag, ts, precision=3)`` appends. :class:`SessionTemplate` builds a
session's messages from pre-encoded parts (BeginString, SenderCompID, TargetCompID as bytes;
only MsgType, MsgSeqNum, SendingTime and the body spliced in) and returns the same bytes as
:func:`encode` for the same fields. ``tests/unit/test_fix_wire.py`` holds all of them to
simplefix byte for byte. Parsing stays simplefix's (:mod:`adapters.fix.session`).

Why: building a ``FixMessage`` pair by pair cost about a third of the adapter's CPU per order
on the live path; a tuple and a ``%`` per field was still ~38 us of an order's ~400 us of
adapter CPU, cold, on the node thread (docs/hot-paths.md, "Live path").
"""

from __future__ import annotations

import datetime
import time

_UTC = datetime.UTC


def _val(value: object) -> bytes:
    """A field value as simplefix's ``fix_val`` makes it."""
    if type(value) is bytes:
        return value
    if type(value) is str:
        return value.encode()
    return str(value).encode("ascii")


def encode(begin_string: bytes, msg_type: bytes, fields: list[tuple[int, object]]) -> bytes:
    """Returns the message ``8=begin_string|9=len|35=msg_type|fields...|10=checksum|``."""
    body = b"35=" + msg_type + b"\x01" + b"".join(
        b"%d=%b\x01" % (tag, _val(value)) for tag, value in fields)
    out = b"8=" + begin_string + b"\x019=" + str(len(body)).encode() + b"\x01" + body
    return out + b"10=%03d\x01" % (sum(out) % 256)


def utc_timestamp(ts_s: float | None = None) -> bytes:
    """Returns a UTCTimestamp with milliseconds (``YYYYMMDD-HH:MM:SS.sss``): now, or
    ``ts_s`` seconds since the epoch."""
    t = datetime.datetime.now(_UTC) if ts_s is None else datetime.datetime.fromtimestamp(ts_s, _UTC)
    return b"%04d%02d%02d-%02d:%02d:%02d.%03d" % (
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.microsecond // 1000)


def fields_bytes(fields: list[tuple[int, object]]) -> bytes:
    """Returns ``tag=value<SOH>`` for each field, in order (values as :func:`encode` takes)."""
    return b"".join([b"%d=%b\x01" % (tag, _val(value)) for tag, value in fields])


class SessionTemplate:
    """One session's messages from pre-encoded parts (see the module contract)."""

    __slots__ = ("_begin", "_session")

    def __init__(self, begin_string: bytes, sender: bytes, target: bytes) -> None:
        self._begin = b"8=" + begin_string + b"\x019="
        self._session = b"\x0149=" + sender + b"\x0156=" + target + b"\x0134="

    def encode(self, msg_type: bytes, seq: int, sending_time: bytes, body: bytes,
               header: bytes = b"") -> bytes:
        """Returns ``8|9|35=msg_type|49|56|34=seq|52=sending_time|header|body|10``; ``header``
        and ``body`` are encoded fields (:func:`fields_bytes`)."""
        payload = b"35=%b%b%d\x0152=%b\x01%b%b" % (msg_type, self._session, seq, sending_time,
                                                    header, body)
        out = b"%b%d\x01%b" % (self._begin, len(payload), payload)
        return out + b"10=%03d\x01" % (sum(out) & 255)


_now_second = [-1, b""]  # (the second of the last utc_now, its "YYYYMMDD-HH:MM:SS.")


def utc_now() -> bytes:
    """Returns the wall clock as a UTCTimestamp with milliseconds (truncated, as
    :func:`utc_timestamp`); the date and time up to the second are formatted once a second."""
    ns = time.time_ns()
    second = ns // 1_000_000_000
    cached = _now_second
    if cached[0] != second:
        t = datetime.datetime.fromtimestamp(second, _UTC)
        cached[1] = b"%04d%02d%02d-%02d:%02d:%02d." % (
            t.year, t.month, t.day, t.hour, t.minute, t.second)
        cached[0] = second
    return cached[1] + b"%03d" % (ns // 1_000_000 % 1000)
