"""The FIX execution client: order commands in, FIX messages out, order events back.

Design contract:
- a command the venue cannot take is denied (ORDER_DENIED with the reason) before anything is
  sent; one it lacks but can be emulated is emulated (see :mod:`adapters.fix.capabilities`);
- every order event is journaled right after the FIX record that caused it (``cause`` is that
  record's seq), so the journal alone rebuilds the order view (:class:`FixOrders`);
- ClOrdIDs are deterministic (``client_order_id[.version]``): a restarted client never reuses or
  re-sends one — it folds the journal and lets the venue resend what it missed.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import attrs
import numpy as np
import simplefix

from adapters.fix import codes
from adapters.fix.capabilities import VenueCapabilities
from adapters.fix.orders import STATUSES, FixOrder, FixOrders
from adapters.fix.outbound import body_fields, order_record, read_out, symbol_of
from adapters.fix.session import FixSession
from domain.codec import as_kind, encode, packer, raw_decoder
from domain.enums import OrderSide, OrderType, TimeInForce
from domain.kinds import RECORD_DTYPE, Kind

_read_in = raw_decoder(Kind.FIX_IN)
_CAUSE, _CAUSE_AT = struct.Struct("<Q"), RECORD_DTYPE.fields["cause"][1]


@attrs.frozen
class OrderRequest:
    """An order to send: raw price and quantity at the given precisions; ``symbol`` is
    ``SYMBOL.VENUE``. ``reference_price`` (raw) prices an emulated market order."""

    client_order_id: int
    strategy_id: int
    symbol: str
    side: OrderSide
    quantity: int
    price: int | None = None
    order_type: OrderType = OrderType.LIMIT
    time_in_force: TimeInForce = TimeInForce.DAY
    price_precision: int = 2
    size_precision: int = 0
    reference_price: int | None = None


class FixExecutionClient:
    """Sends orders through ``session`` to a venue with ``capabilities``."""

    def __init__(self, session: FixSession, capabilities: VenueCapabilities) -> None:
        self.session = session
        self.capabilities = capabilities
        self.orders = FixOrders()
        for i in range(len(session.journal.recovered)):  # the journal is the order store
            record = session.journal.recovered[i : i + 1]
            if int(record["kind"][0]) == Kind.FIX_OUT:
                self.orders.on_out(record)
            else:
                self.orders.on_in(record)
        session.on_app = self._on_app
        session.on_out = self.orders.on_out
        session.on_synced = self._reconcile
        session.on_connecting = self._remember
        self._known: dict[int, tuple[str, int]] = {}
        self._symbols: dict[int, bytes] = {}  # instrument id -> Symbol (55)
        #: called with every batch of order events / FIX_RECONCILED records right after they
        #: are journaled (the live node forwards them to its inbox), on the thread that made them
        self.on_events: Callable[[list[np.ndarray]], None] | None = None

    def submit(self, request: OrderRequest, cause: int = 0) -> bool:
        """Sends a NewOrderSingle, or journals ORDER_DENIED; returns True when sent. ``cause``
        (here and in :meth:`cancel` / :meth:`modify`): the seq of the command in the node's
        journal, kept as the FIX_OUT record's ``cause`` (0: none), so a restart can tell a
        message whose command the node's journal lost (:meth:`SessionJournal.void_lost_commands`)."""
        if request.client_order_id in self.orders.orders:
            raise ValueError(f"client_order_id {request.client_order_id} was already submitted")
        instrument_id = self._intern(request.symbol)
        reason = self.capabilities.denial(
            request.order_type, request.time_in_force, request.reference_price)
        if reason is not None:
            self._journal_events([encode(
                Kind.ORDER_DENIED, client_order_id=request.client_order_id,
                instrument_id=instrument_id, strategy_id=request.strategy_id,
                reason_id=self.session.intern_reason(reason))], 0)
            return False
        order_type, price = request.order_type, request.price
        if order_type not in self.capabilities.order_types:  # an emulated market order
            order_type = OrderType.LIMIT
            price = self.capabilities.protection_price(request.side, request.reference_price)
        record = order_record(
            client_order_id=request.client_order_id, version=0, strategy_id=request.strategy_id,
            instrument_id=instrument_id, side=request.side, order_type=order_type,
            time_in_force=request.time_in_force, price_precision=request.price_precision,
            size_precision=request.size_precision, quantity=request.quantity, price=price)
        self._send(codes.NEW_ORDER_SINGLE, record, Kind.ORDER_SUBMITTED, cause)
        return True

    def cancel(self, client_order_id: int, cause: int = 0) -> None:
        """Sends an OrderCancelRequest for the order's current version."""
        order = self._open_order(client_order_id)
        self._send(codes.CANCEL_REQUEST, self._version_record(order, order.version),
                   Kind.ORDER_PENDING_CANCEL, cause)

    def modify(self, client_order_id: int, quantity: int | None = None,
               price: int | None = None, cause: int = 0) -> None:
        """Changes quantity and/or price (raw): OrderCancelReplaceRequest when the venue has
        it, else cancel then a new version for the quantity not yet filled."""
        order = self._open_order(client_order_id)
        new_qty = order.quantity if quantity is None else quantity
        new_px = order.price if price is None else price
        if self.capabilities.cancel_replace:
            record = self._version_record(order, order.version + 1, new_qty, new_px)
            order.quantity, order.price = new_qty, new_px
            self._send(codes.CANCEL_REPLACE, record, Kind.ORDER_PENDING_UPDATE, cause)
            return
        record = self._version_record(order, order.version)
        as_kind(record, Kind.FIX_OUT)["replace_quantity"] = new_qty
        as_kind(record, Kind.FIX_OUT)["replace_price"] = new_px
        self._send(codes.CANCEL_REQUEST, record, Kind.ORDER_PENDING_UPDATE, cause)

    def open_orders(self) -> list[FixOrder]:
        """Returns the orders the venue last reported open, by client_order_id."""
        return [o for _, o in sorted(self.orders.orders.items()) if o.is_open]

    # ------------------------------------------------------------------ internals
    def _remember(self) -> None:
        """Keeps the order view as the session (re)connects: what the journal says."""
        self._known = {c: (o.status, o.cum_qty) for c, o in self.orders.orders.items()}

    def _reconcile(self) -> None:
        """Journals a FIX_RECONCILED record for each order the venue's resends changed since the
        last sync (a crash or a dropped connection); the change itself came as order events."""
        records = []
        for coid, (status, cum) in sorted(self._known.items()):
            order = self.orders.orders[coid]
            if (order.status, order.cum_qty) != (status, cum):
                records.append(encode(
                    Kind.FIX_RECONCILED, client_order_id=coid, instrument_id=order.instrument_id,
                    strategy_id=order.strategy_id, session_id=self.session.session_id,
                    connection=self.session.connections, status_before=STATUSES.index(status),
                    status_after=STATUSES.index(order.status),
                    size_precision=order.size_precision, cum_qty_before=cum,
                    cum_qty_after=order.cum_qty))
        if records:
            self._journal_events(records, 0)

    def _on_app(self, record: np.ndarray, msg: simplefix.FixMessage) -> None:
        events = self.orders.on_in(record)
        if events:
            self._journal_events(events, int(record["seq"][0]))
        rec = _read_in(record.tobytes())
        order = self.orders.orders.get(rec.client_order_id)
        if (order is not None and order.pending_replace is not None
                and bytes([rec.exec_type]) == b"4" and rec.cl_ord_version == order.version):
            self._resubmit(order)

    def _resubmit(self, order: FixOrder) -> None:
        """Sends the new version of an emulated modify once the venue confirmed the cancel."""
        quantity, price = order.pending_replace
        remaining = quantity - order.cum_qty
        if remaining <= 0:
            order.pending_replace = None
            order.status = "FILLED"
            return
        record = self._version_record(order, order.version + 1, remaining, price)
        self.session.send(codes.NEW_ORDER_SINGLE,
                          self._body(read_out(record.tobytes()), codes.NEW_ORDER_SINGLE), record)

    def _send(self, msg_type: bytes, record: np.ndarray, event_kind: int, cause: int) -> None:
        out = read_out(record.tobytes())
        if cause:
            _CAUSE.pack_into(record, _CAUSE_AT, cause)
        ref = {"client_order_id": out.client_order_id, "instrument_id": out.instrument_id,
               "strategy_id": out.strategy_id}
        if event_kind == Kind.ORDER_SUBMITTED:
            ref["account_id"] = 0
        else:
            ref["venue_order_id"] = out.client_order_id
        events = [np.frombuffer(bytearray(packer(event_kind).pack(**ref)), dtype=RECORD_DTYPE)]
        self.session.send(msg_type, self._body(out, msg_type), record, events=events,
                          then=self._forward)

    def _body(self, out: tuple, msg_type: bytes) -> list[tuple[int, bytes]]:
        """The body of ``msg_type`` for the FIX_OUT fields ``out`` (:func:`body_fields`: what
        a resend rebuilds from the journaled record); the session stamps the record's type."""
        symbol = self._symbols.get(out.instrument_id)
        if symbol is None:  # an instrument's text never changes: its Symbol is kept
            symbol = self._symbols[out.instrument_id] = symbol_of(
                self.session.journal.state.strings, out.instrument_id)
        return body_fields(out, msg_type, symbol)

    def _journal_events(self, events: list[np.ndarray], cause: int) -> None:
        """Journals ``events`` (``cause`` set); :attr:`on_events` gets them once committed
        (inside a read batch: after the batch's commit, :meth:`FixSession.journal_records`)."""
        for event in events:
            event["cause"] = cause
        self.session.journal_records(events, self._forward)

    def _forward(self, events: list[np.ndarray]) -> None:
        if self.on_events is not None:
            self.on_events(events)

    def _version_record(self, order: FixOrder, version: int, quantity: int | None = None,
                        price: int | None = None) -> np.ndarray:
        return order_record(
            client_order_id=order.client_order_id, version=version,
            strategy_id=order.strategy_id, instrument_id=order.instrument_id, side=order.side,
            order_type=OrderType.LIMIT, time_in_force=TimeInForce.DAY,
            price_precision=order.price_precision, size_precision=order.size_precision,
            quantity=order.quantity if quantity is None else quantity,
            price=order.price if price is None else price)

    def _open_order(self, client_order_id: int) -> FixOrder:
        order = self.orders.orders.get(client_order_id)
        if order is None or not order.is_open:
            status = "unknown" if order is None else order.status
            raise ValueError(f"client_order_id {client_order_id} is not open (status {status})")
        return order

    def _intern(self, text: str) -> int:
        return self.session.intern_reason(text)
