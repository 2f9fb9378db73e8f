"""FIX 4.2 constants and the small conversions between wire values and record fields."""

from __future__ import annotations

import xxhash

from domain.enums import OrderSide, OrderType, TimeInForce

BEGIN_STRING = b"FIX.4.2"

# MsgType (35)
HEARTBEAT, TEST_REQUEST, RESEND_REQUEST, REJECT = b"0", b"1", b"2", b"3"
SEQUENCE_RESET, LOGOUT, LOGON = b"4", b"5", b"A"
NEW_ORDER_SINGLE, CANCEL_REQUEST, CANCEL_REPLACE = b"D", b"F", b"G"
EXECUTION_REPORT, CANCEL_REJECT = b"8", b"9"
ADMIN_TYPES = frozenset({HEARTBEAT, TEST_REQUEST, RESEND_REQUEST, REJECT, SEQUENCE_RESET, LOGOUT, LOGON})

SIDE_TO_FIX = {OrderSide.BUY: b"1", OrderSide.SELL: b"2"}
SIDE_FROM_FIX = {v: k for k, v in SIDE_TO_FIX.items()}
ORD_TYPE_TO_FIX = {OrderType.MARKET: b"1", OrderType.LIMIT: b"2", OrderType.STOP_MARKET: b"3",
                   OrderType.STOP_LIMIT: b"4"}
TIF_TO_FIX = {TimeInForce.DAY: b"0", TimeInForce.GTC: b"1", TimeInForce.IOC: b"3",
              TimeInForce.FOK: b"4", TimeInForce.GTD: b"6"}


def pack_msg_type(msg_type: bytes) -> int:
    """Returns MsgType's 1-2 ASCII bytes as a u2 (first byte low)."""
    if not 1 <= len(msg_type) <= 2:
        raise ValueError(f"MsgType must be 1-2 bytes, got {msg_type!r}")
    return int.from_bytes(msg_type, "little")


def unpack_msg_type(code: int) -> bytes:
    """Returns the MsgType bytes of a packed u2."""
    return code.to_bytes(2, "little").rstrip(b"\0")


def cl_ord_id(client_order_id: int, version: int) -> bytes:
    """Returns the deterministic ClOrdID of an order version: ``id`` then ``id.version``."""
    return str(client_order_id).encode() if version == 0 else f"{client_order_id}.{version}".encode()


def cancel_cl_ord_id(client_order_id: int, version: int) -> bytes:
    """Returns the ClOrdID of the (one) cancel request for an order version."""
    return f"C{client_order_id}.{version}".encode()


def parse_cl_ord_id(value: bytes | None) -> tuple[int, int]:
    """Returns ``(client_order_id, version)`` of a ClOrdID this adapter made; (0, 0) otherwise."""
    if not value:
        return 0, 0
    text = value.decode("ascii", "replace").lstrip("C")
    head, _, tail = text.partition(".")
    if not head.isdigit() or (tail and not tail.isdigit()):
        return 0, 0
    return int(head), int(tail or 0)


def exec_id_number(value: bytes | None) -> int:
    """Returns ExecID as an integer: its value when numeric, else its xxh3-64; 0 for none."""
    if not value:
        return 0
    return int(value) if value.isdigit() and len(value) < 20 else xxhash.xxh3_64_intdigest(value)


def to_raw(text: bytes | None, precision: int) -> int:
    """Returns a FIX decimal as a raw int scaled by ``10**precision`` (exact, no float)."""
    if not text:
        return 0
    s = text.decode("ascii")
    negative = s.startswith("-")
    whole, _, frac = s.lstrip("+-").partition(".")
    frac = (frac + "0" * precision)[:precision]
    raw = int(whole or "0") * 10**precision + int(frac or "0")
    return -raw if negative else raw


def from_raw(raw: int, precision: int) -> bytes:
    """Returns a raw int scaled by ``10**precision`` as a FIX decimal."""
    if precision == 0:
        return str(raw).encode()
    sign = "-" if raw < 0 else ""
    whole, frac = divmod(abs(raw), 10**precision)
    return f"{sign}{whole}.{frac:0{precision}d}".encode()
