"""The adapter's view of its orders, folded from FIX_OUT / FIX_IN records, and the order
events each inbound message maps to — the same ORDER_* records the simulated exchange emits.

The fold is a pure function of the records, so a restarted adapter (or a re-execution) that
reads the journal back reaches the same view and emits the same events.
"""

from __future__ import annotations

import attrs
import numpy as np

from adapters.fix import codes
from domain.codec import encode, packer, raw_decoder
from domain.enums import LiquiditySide, OrderSide
from domain.kinds import RECORD_DTYPE, Kind
from domain.schema import NULL_I64

#: Order statuses; FIX_RECONCILED records hold an index into this tuple.
STATUSES = ("SUBMITTED", "ACCEPTED", "PARTIALLY_FILLED", "PENDING_CANCEL", "PENDING_REPLACE",
            "FILLED", "CANCELED", "REJECTED")
_read_out = raw_decoder(Kind.FIX_OUT)
_read_in = raw_decoder(Kind.FIX_IN)


def _event(kind: int, **fields: int) -> np.ndarray:
    """An order event record (header unset): :func:`domain.codec.encode`'s bytes, packed with
    the schema's struct (no numpy field writes on the session thread)."""
    return np.frombuffer(bytearray(packer(kind).pack(**fields)), dtype=RECORD_DTYPE)
OPEN = frozenset({"SUBMITTED", "ACCEPTED", "PARTIALLY_FILLED", "PENDING_CANCEL", "PENDING_REPLACE"})


@attrs.define
class FixOrder:
    """One order as the venue last reported it (quantities raw at size_precision)."""

    client_order_id: int
    strategy_id: int
    instrument_id: int
    side: OrderSide
    price_precision: int
    size_precision: int
    quantity: int
    price: int
    version: int = 0
    status: str = "SUBMITTED"
    cum_qty: int = 0
    leaves_qty: int = 0
    #: (quantity, price) of an emulated modify waiting for the cancel of the current version.
    pending_replace: tuple[int, int] | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


@attrs.define
class FixOrders:
    """Orders by client_order_id, and the fold of FIX records into them."""

    orders: dict[int, FixOrder] = attrs.Factory(dict)
    #: client_order_id by MsgSeqNum of its NewOrderSingle (a session Reject refers to the seq).
    by_out_seq: dict[int, int] = attrs.Factory(dict)

    def on_out(self, record: np.ndarray) -> None:
        """Folds one FIX_OUT record (an order going out)."""
        out = _read_out(record.tobytes())
        msg_type = codes.unpack_msg_type(out.msg_type)
        coid = out.client_order_id
        if msg_type == codes.NEW_ORDER_SINGLE:
            self.by_out_seq[out.msg_seq_num] = coid
            order = self.orders.get(coid)
            if order is None:
                self.orders[coid] = FixOrder(
                    coid, out.strategy_id, out.instrument_id, OrderSide(out.side),
                    out.price_precision, out.size_precision, out.quantity, out.price,
                )
            else:  # the next version of an emulated modify: its quantity is what remains
                order.version = out.cl_ord_version
                order.quantity = out.quantity + order.cum_qty
                order.price = out.price
                order.pending_replace = None
        elif msg_type == codes.CANCEL_REQUEST and coid in self.orders:
            order = self.orders[coid]
            if out.replace_quantity != NULL_I64:  # the cancel half of an emulated modify
                order.pending_replace = (out.replace_quantity, out.replace_price)
                order.status = "PENDING_REPLACE"
            else:
                order.status = "PENDING_CANCEL"

    def on_in(self, record: np.ndarray) -> list[np.ndarray]:
        """Folds one FIX_IN record; returns the order events it maps to (headers unset)."""
        rec = _read_in(record.tobytes())
        msg_type = codes.unpack_msg_type(rec.msg_type)
        coid = rec.client_order_id
        if msg_type == codes.REJECT:
            coid = self.by_out_seq.get(rec.ref_seq_num, 0)
        order = self.orders.get(coid)
        if order is None:
            return []
        ref = {"client_order_id": coid, "instrument_id": order.instrument_id,
               "strategy_id": order.strategy_id}
        reason = rec.reason_id
        if msg_type == codes.REJECT:
            order.status = "REJECTED"
            return [_event(Kind.ORDER_REJECTED, **ref, reason_id=reason)]
        if msg_type == codes.CANCEL_REJECT:
            order.status = "ACCEPTED" if order.cum_qty == 0 else "PARTIALLY_FILLED"
            order.pending_replace = None
            return [_event(Kind.ORDER_CANCEL_REJECTED, **ref, reason_id=reason)]
        if msg_type != codes.EXECUTION_REPORT:
            return []
        return self._on_report(order, rec, ref)

    def _on_report(self, order: FixOrder, rec: tuple, ref: dict[str, int]) -> list[np.ndarray]:
        exec_type = bytes([rec.exec_type])
        version = rec.cl_ord_version
        venue = {"venue_order_id": order.client_order_id}
        if exec_type in (b"1", b"2"):  # partial fill, fill
            order.cum_qty += rec.last_qty
            order.leaves_qty = rec.leaves_qty
            if order.status not in ("PENDING_CANCEL", "PENDING_REPLACE") or exec_type == b"2":
                order.status = "FILLED" if exec_type == b"2" else "PARTIALLY_FILLED"
            return [_event(
                Kind.ORDER_FILLED, **ref, **venue, trade_id=rec.exec_id, side=order.side,
                liquidity_side=LiquiditySide.NO_LIQUIDITY_SIDE,
                price_precision=order.price_precision, size_precision=order.size_precision,
                last_qty=rec.last_qty, last_px=rec.last_px,
            )]
        if exec_type == b"0":  # new
            order.leaves_qty = rec.leaves_qty
            if version == 0:
                order.status = "ACCEPTED"
                return [_event(Kind.ORDER_ACCEPTED, **ref, **venue)]
            order.status = "ACCEPTED" if order.cum_qty == 0 else "PARTIALLY_FILLED"
            return [self._updated(order, ref, venue)]
        if exec_type in (b"4", b"5"):  # canceled, replaced
            if exec_type == b"4" and order.pending_replace is not None and version == order.version:
                return []  # the cancel half of an emulated modify: the client sends the rest
            order.leaves_qty = rec.leaves_qty
            if exec_type == b"5":
                order.status = "ACCEPTED" if order.cum_qty == 0 else "PARTIALLY_FILLED"
                return [self._updated(order, ref, venue)]
            order.status = "CANCELED"
            return [_event(Kind.ORDER_CANCELED, **ref, **venue)]
        if exec_type == b"8":  # rejected
            order.status = "REJECTED"
            return [_event(Kind.ORDER_REJECTED, **ref, reason_id=rec.reason_id)]
        return []

    @staticmethod
    def _updated(order: FixOrder, ref: dict[str, int], venue: dict[str, int]) -> np.ndarray:
        return encode(
            Kind.ORDER_UPDATED, **ref, **venue, price_precision=order.price_precision,
            size_precision=order.size_precision, quantity=order.quantity,
            price=order.price if order.price != NULL_I64 else None,
        )
