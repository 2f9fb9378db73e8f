"""Application messages out: NewOrderSingle, OrderCancelRequest, OrderCancelReplaceRequest.

Each is built from its FIX_OUT record alone (:func:`rebuild_body`), so the bytes first sent and
the bytes resent for a ResendRequest, or re-derived by re-execution, are the same fields.
"""

from __future__ import annotations

import numpy as np

from adapters.fix import codes
from adapters.fix.store import new_record
from domain.enums import OrderSide, OrderType, TimeInForce
from domain.kinds import Kind
from domain.schema import NULL_I64
from domain.strings import StringTable

APP_TYPES = (codes.NEW_ORDER_SINGLE, codes.CANCEL_REQUEST, codes.CANCEL_REPLACE)


def order_record(*, client_order_id: int, version: int, strategy_id: int, instrument_id: int,
                 side: OrderSide, order_type: OrderType, time_in_force: TimeInForce,
                 price_precision: int, size_precision: int, quantity: int,
                 price: int | None,
                 replace: tuple[int, int] | None = None) -> np.ndarray:
    """Returns a FIX_OUT record holding an order message's fields (seq and type set on send);
    ``replace`` is the (quantity, price) of the emulated modify a cancel starts."""
    record, typed = new_record(Kind.FIX_OUT)
    typed["client_order_id"] = client_order_id
    typed["cl_ord_version"] = version
    typed["strategy_id"] = strategy_id
    typed["instrument_id"] = instrument_id
    typed["side"] = side
    typed["order_type"] = order_type
    typed["time_in_force"] = time_in_force
    typed["price_precision"] = price_precision
    typed["size_precision"] = size_precision
    typed["quantity"] = quantity
    typed["price"] = NULL_I64 if price is None else price
    typed["replace_quantity"], typed["replace_price"] = replace or (NULL_I64, NULL_I64)
    return record


def rebuild_body(out: np.void | None, strings: StringTable) -> list[tuple[int, bytes]] | None:
    """Returns the body fields of the application message journaled as ``out``; None for an
    admin message (a resend replaces those with SequenceReset-GapFill)."""
    if out is None:
        return None
    msg_type = codes.unpack_msg_type(int(out["msg_type"]))
    if msg_type not in APP_TYPES:
        return None
    coid, version = int(out["client_order_id"]), int(out["cl_ord_version"])
    symbol = strings.text(int(out["instrument_id"])).rsplit(".", 1)[0].encode()
    side = codes.SIDE_TO_FIX[OrderSide(int(out["side"]))]
    qty = codes.from_raw(int(out["quantity"]), int(out["size_precision"]))
    if msg_type == codes.CANCEL_REQUEST:
        return [(41, codes.cl_ord_id(coid, version)), (11, codes.cancel_cl_ord_id(coid, version)),
                (55, symbol), (54, side), (38, qty)]
    body = [(11, codes.cl_ord_id(coid, version))]
    if msg_type == codes.CANCEL_REPLACE:
        body.append((41, codes.cl_ord_id(coid, version - 1)))
    body += [(21, b"1"), (55, symbol), (54, side), (38, qty),
             (40, codes.ORD_TYPE_TO_FIX[OrderType(int(out["order_type"]))])]
    if int(out["price"]) != NULL_I64:
        body.append((44, codes.from_raw(int(out["price"]), int(out["price_precision"]))))
    body.append((59, codes.TIF_TO_FIX[TimeInForce(int(out["time_in_force"]))]))
    return body
