"""The live node's FIX venue: kernel commands out through the FIX adapter, venue events back in.

Design contract:
- :class:`FixVenue` is the kernel's :class:`engines.kernel_outbound.ExternalExecutionClient`
  for one FIX venue: it gets each command once the node's journal committed it (kernel thread)
  and hands it to :class:`adapters.fix.client.FixExecutionClient`, which journals the FIX
  message in the session store before its bytes reach the socket;
- a command for an order the session store already holds is not sent again (a recovering node
  re-executes its crashed run: ClOrdIDs are the kernel's deterministic client order ids, so
  "none sent twice" is a lookup); a cancel / modify of an order the venue reports closed is
  answered with ORDER_CANCEL_REJECTED / ORDER_MODIFY_REJECTED, never an exception;
- every order event and FIX_RECONCILED record the adapter journals goes, in the same order, into
  the node's inbox (:meth:`forward`); :func:`translate` rewrites it on the node thread into the
  kernel's ids (instrument, strategy, account, position, reason text) — the adapter's session
  store interns its own strings;
- :func:`undelivered` returns the session store's events the node's journal does not hold yet
  (a crash between the two commits): the node pushes them first after a restart.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

from adapters.fix.client import FixExecutionClient, OrderRequest
from domain.codec import as_kind, encode
from domain.enums import OrderSide, RecordFlag
from domain.kinds import RECORD_DTYPE, Kind
from domain.schema import NULL_I64
from replay.nodes.offline import ExternalVenue
from replay.nodes.order_request import order_request

INPUT = int(RecordFlag.INPUT)
#: Kinds the adapter journals that the kernel takes as the venue's answer.
VENUE_KINDS = np.array([int(k) for k in (
    Kind.ORDER_ACCEPTED, Kind.ORDER_REJECTED, Kind.ORDER_DENIED, Kind.ORDER_CANCELED,
    Kind.ORDER_UPDATED, Kind.ORDER_CANCEL_REJECTED, Kind.ORDER_MODIFY_REJECTED,
    Kind.ORDER_FILLED, Kind.FIX_RECONCILED)], dtype=np.uint16)


_VENUE_KIND_SET = frozenset(VENUE_KINDS.tolist())
_KIND, _KIND_AT = struct.Struct("<H").unpack_from, RECORD_DTYPE.fields["kind"][1]
#: takes up to this many records are scanned in Python (np.isin costs ~25 us a call)
_SMALL_TAKE = 16


def is_venue_event(records: np.ndarray) -> np.ndarray:
    """Returns, per record, whether it is one of :data:`VENUE_KINDS`."""
    return np.isin(records["kind"], VENUE_KINDS)


class FixVenue(ExternalVenue):
    """Kernel commands to one FIX venue (see the module contract)."""

    def __init__(self, venue: str, client: FixExecutionClient, kernel: Any,
                 push: Callable[[np.ndarray], None]) -> None:
        super().__init__(venue, kernel)
        self.client = client
        self._push = push
        client.on_events = self.forward
        #: commands not sent because the session store already had them (after a restart)
        self.skipped = 0
        #: client order id -> seq of the SUBMIT_ORDER that sent it: the ``cause`` of the venue's
        #: events about the order (``ringbus trace`` walks a fill back to the quote)
        self.cause_of: dict[int, int] = {}

    # ------------------------------------------------------------------ commands (kernel thread)
    def submit(self, cmd: Any, request: OrderRequest | None = None,
               command_seq: int | None = None) -> None:
        """Sends the order of ``cmd``; ``command_seq``: the seq of the command that holds it
        in the node's journal (a list's), else ``cmd``'s own."""
        self.cause_of[cmd.client_order_id] = int(cmd.seq)
        if cmd.client_order_id in self.client.orders.orders:
            self.skipped += 1
            return
        self.client.submit(request if request is not None
                           else order_request(cmd, self.kernel.ctx),
                           int(cmd.seq) if command_seq is None else command_seq)

    def corked(self) -> contextlib.AbstractContextManager[None]:
        """Commands handed out inside go to the venue as one commit of the session store and
        one write (:meth:`adapters.fix.session.FixSession.corked`)."""
        return self.client.session.corked()

    def submit_order_list(self, cmd: Any, orders: list[Any],
                          requests: list[OrderRequest] | None = None) -> None:
        for i, order in enumerate(orders):
            self.submit(order, None if requests is None else requests[i], int(cmd.seq))

    def modify(self, cmd: Any) -> None:
        order = self.client.orders.orders.get(cmd.client_order_id)
        if order is None or not order.is_open or order.status == "PENDING_REPLACE":
            self._refuse(Kind.ORDER_MODIFY_REJECTED, cmd.client_order_id, order)
            return
        self.client.modify(cmd.client_order_id,
                           None if cmd.quantity == NULL_I64 else int(cmd.quantity),
                           None if cmd.price == NULL_I64 else int(cmd.price), int(cmd.seq))

    def cancel(self, cmd: Any) -> None:
        order = self.client.orders.orders.get(cmd.client_order_id)
        if order is not None and order.status == "PENDING_CANCEL":
            self.skipped += 1  # sent before a restart: the venue answers that one
            return
        if order is None or not order.is_open:
            self._refuse(Kind.ORDER_CANCEL_REJECTED, cmd.client_order_id, order)
            return
        self.client.cancel(cmd.client_order_id, int(cmd.seq))

    def cancel_all(self, cmd: Any) -> None:
        cache = self.kernel.ctx.cache
        for coid, order in sorted(self.client.orders.orders.items()):
            mine = cache.order(coid)
            if (not order.is_open or order.status == "PENDING_CANCEL" or mine is None
                    or mine.instrument_id != cmd.instrument_id
                    or (cmd.strategy_id and mine.strategy_id != cmd.strategy_id)
                    or (cmd.side != OrderSide.NO_SIDE and int(mine.side) != int(cmd.side))):
                continue
            self.client.cancel(coid, int(cmd.seq))

    def _refuse(self, kind: int, client_order_id: int, order: Any) -> None:
        status = "unknown to the venue" if order is None else f"{order.status} at the venue"
        reason = self.client.session.intern_reason(f"order {client_order_id} is {status}")
        self.client._journal_events([encode(kind, client_order_id=client_order_id,
                                            reason_id=reason)], 0)

    # ------------------------------------------------------------------ events (any thread)
    def forward(self, events: list[np.ndarray]) -> None:
        """Pushes the adapter's venue events into the node's inbox (adapter ids, see
        :func:`translate`)."""
        venue_events = [e for e in events if _KIND(e, _KIND_AT)[0] in _VENUE_KIND_SET]
        if venue_events:  # a send's ORDER_SUBMITTED / PENDING_* stop here, without numpy
            self._push(venue_events[0] if len(venue_events) == 1 else np.frombuffer(
                b"".join([e.tobytes() for e in venue_events]), dtype=RECORD_DTYPE))


def translate(records: np.ndarray, kernel: Any, client: FixExecutionClient, venue: str,
              cause_of: dict[int, int]) -> None:
    """Rewrites the venue events among ``records`` (in place, node thread) from the session
    store's ids into the kernel's: instrument and strategy from the kernel's order, the
    account and position of a fill, reason texts interned in the kernel (STRING records);
    ``cause`` is the seq of the order's SUBMIT_ORDER (``cause_of``; 0 when unknown)."""
    if len(records) <= _SMALL_TAKE:  # a live take: a set lookup per record beats np.isin
        rows = [i for i, k in enumerate(records["kind"].tolist()) if k in _VENUE_KIND_SET]
    else:
        rows = np.flatnonzero(is_venue_event(records)).tolist()
    if not rows:
        return
    cache = kernel.ctx.cache
    strings = client.session.journal.state.strings
    execution = kernel.component("ExecEngine")
    for i in rows:
        rec = records[i : i + 1]
        kind = int(rec["kind"][0])
        typed = as_kind(rec, kind)
        coid = int(typed["client_order_id"][0])
        order = cache.order(coid)
        if order is not None:
            typed["instrument_id"] = order.instrument_id
            typed["strategy_id"] = order.strategy_id
        if kind == Kind.ORDER_DENIED:  # the adapter denied it before sending: for the
            typed = _as_rejected(rec)   # kernel the order was submitted, the venue refused it
            kind = Kind.ORDER_REJECTED
        if "reason_id" in typed.dtype.names and int(typed["reason_id"][0]):
            text = strings.get(int(typed["reason_id"][0]), "")
            typed["reason_id"] = kernel.intern(text or "venue gave no reason")
        if kind == Kind.FIX_RECONCILED:
            typed["session_id"] = kernel.intern(strings.get(int(typed["session_id"][0]), venue))
        if kind == Kind.ORDER_FILLED:
            typed["account_id"] = kernel.strings.id_of(f"{venue}-001") or 0
            pid = execution.position_id_of(coid) or (order.position_id if order else 0)
            typed["position_id"] = pid
            instrument = cache.instrument(order.instrument_id) if order is not None else None
            if instrument is not None:
                typed["commission_currency"] = instrument.settlement_currency.packed
        rec["cause"] = cause_of.get(coid, 0)  # (it held a session-store seq)
        records[i : i + 1] = rec


def _as_rejected(rec: np.ndarray) -> np.ndarray:
    denied = as_kind(rec, Kind.ORDER_DENIED)[0]
    out = encode(Kind.ORDER_REJECTED, client_order_id=int(denied["client_order_id"]),
                 instrument_id=int(denied["instrument_id"]),
                 strategy_id=int(denied["strategy_id"]), reason_id=int(denied["reason_id"]))
    for field in ("seq", "ts_event", "ts_init", "flags"):
        out[field] = rec[field]
    rec[:] = out
    return as_kind(rec, Kind.ORDER_REJECTED)


def undelivered(session_records: np.ndarray, node_records: np.ndarray) -> np.ndarray:
    """Returns the venue events of ``session_records`` (the session store, in seq order) past
    the ones ``node_records`` (the node's journal) holds as inputs: they are delivered in order,
    so the node's count of them is a prefix of the store's."""
    held = node_records[((node_records["flags"] & INPUT) != 0) & is_venue_event(node_records)]
    events = session_records[is_venue_event(session_records)]
    return events[len(held):].copy()
