"""Application messages out: NewOrderSingle, OrderCancelRequest, OrderCancelReplaceRequest.

Each is built from its FIX_OUT record alone (:func:`rebuild_body`), so the bytes first sent and
the bytes resent for a ResendRequest, or re-derived by re-execution, are the same fields.
Records are packed and read with the schema's structs (:func:`domain.codec.packer`,
:func:`domain.codec.raw_decoder`): a numpy field access per field cost more than the message
on the live path (docs/hot-paths.md, "Live path").
"""

from __future__ import annotations

import numpy as np

from adapters.fix import codes
from domain.codec import packer, raw_decoder
from domain.enums import OrderSide, OrderType, TimeInForce
from domain.kinds import RECORD_DTYPE, Kind
from domain.schema import NULL_I64
from domain.strings import StringTable

_PACK_OUT = packer(Kind.FIX_OUT).pack
#: ``read_out(record bytes) -> namedtuple`` of a FIX_OUT record's fields (raw ints)
read_out = raw_decoder(Kind.FIX_OUT)

APP_TYPES = (codes.NEW_ORDER_SINGLE, codes.CANCEL_REQUEST, codes.CANCEL_REPLACE)


def order_record(*, client_order_id: int, version: int, strategy_id: int, instrument_id: int,
                 side: OrderSide, order_type: OrderType, time_in_force: TimeInForce,
                 price_precision: int, size_precision: int, quantity: int,
                 price: int | None,
                 replace: tuple[int, int] | None = None) -> np.ndarray:
    """Returns a FIX_OUT record holding an order message's fields (seq and type set on send);
    ``replace`` is the (quantity, price) of the emulated modify a cancel starts."""
    packed = _PACK_OUT(
        client_order_id=client_order_id, cl_ord_version=version, strategy_id=strategy_id,
        instrument_id=instrument_id, side=side, order_type=order_type,
        time_in_force=time_in_force, price_precision=price_precision,
        size_precision=size_precision, quantity=quantity,
        price=NULL_I64 if price is None else price,
        replace_quantity=replace[0] if replace else NULL_I64,
        replace_price=replace[1] if replace else NULL_I64)
    return np.frombuffer(bytearray(packed), dtype=RECORD_DTYPE)


def rebuild_body(out: np.void | None, strings: StringTable) -> list[tuple[int, bytes]] | None:
    """Returns the body fields of the application message journaled as ``out``; None for an
    admin message (a resend replaces those with SequenceReset-GapFill)."""
    if out is None:
        return None
    f = read_out(out.tobytes())
    msg_type = codes.unpack_msg_type(f.msg_type)
    if msg_type not in APP_TYPES:
        return None
    return body_fields(f, msg_type, symbol_of(strings, f.instrument_id))


def symbol_of(strings: StringTable, instrument_id: int) -> bytes:
    """Returns the Symbol (55) of an instrument: its id's text without the ``.VENUE``."""
    return strings.text(instrument_id).rsplit(".", 1)[0].encode()


def body_fields(f: tuple, msg_type: bytes, symbol: bytes) -> list[tuple[int, bytes]]:
    """Returns the body fields of application message ``msg_type`` from a FIX_OUT record's
    fields ``f`` (:data:`read_out`) and its instrument's ``symbol`` (:func:`symbol_of`)."""
    coid, version = f.client_order_id, f.cl_ord_version
    side = codes.SIDE_TO_FIX[OrderSide(f.side)]
    qty = codes.from_raw(f.quantity, f.size_precision)
    if msg_type == codes.CANCEL_REQUEST:
        return [(41, codes.cl_ord_id(coid, version)), (11, codes.cancel_cl_ord_id(coid, version)),
                (55, symbol), (54, side), (38, qty)]
    body = [(11, codes.cl_ord_id(coid, version))]
    if msg_type == codes.CANCEL_REPLACE:
        body.append((41, codes.cl_ord_id(coid, version - 1)))
    body += [(21, b"1"), (55, symbol), (54, side), (38, qty),
             (40, codes.ORD_TYPE_TO_FIX[OrderType(f.order_type)])]
    if f.price != NULL_I64:
        body.append((44, codes.from_raw(f.price, f.price_precision)))
    body.append((59, codes.TIF_TO_FIX[TimeInForce(f.time_in_force)]))
    return body
