"""The order state machine: one exhaustive ``(status, event kind) -> status`` table.

Design contract:
- :data:`TRANSITIONS` is the only place a status change is decided; a pair that is not in it is
  illegal and :func:`next_status` raises :class:`InvalidTransition` naming the status, the event,
  the client order id and the ``seq`` when known;
- two targets are resolved from the order rather than the table: :data:`FILL` (``FILLED`` when
  nothing is left, else ``PARTIALLY_FILLED``) and :data:`PREVIOUS` (the status the order had
  before it went pending: a rejected modify or cancel, or an accepted modify, returns there);
- the rows follow NautilusTrader's table; unusual rows carry a comment saying why they exist.
"""

from __future__ import annotations

from enum import IntEnum

from domain.kinds import Kind


class OrderStatus(IntEnum):
    """Where an order is in its life; stable numbers (they may be stored)."""

    INITIALIZED = 1
    DENIED = 2
    SUBMITTED = 3
    ACCEPTED = 4
    REJECTED = 5
    CANCELED = 6
    EXPIRED = 7
    TRIGGERED = 8
    PENDING_UPDATE = 9
    PENDING_CANCEL = 10
    PARTIALLY_FILLED = 11
    FILLED = 12


class Target(IntEnum):
    """Targets resolved from the order's own state rather than the table."""

    FILL = 100  # FILLED when leaves_qty == 0 after the fill, else PARTIALLY_FILLED
    PREVIOUS = 101  # the status before the order went PENDING_UPDATE / PENDING_CANCEL


FILL = Target.FILL
PREVIOUS = Target.PREVIOUS

S = OrderStatus
K = Kind

#: Every ORDER_* event kind an existing order can receive (ORDER_INITIALIZED creates one).
ORDER_EVENT_KINDS: tuple[int, ...] = tuple(
    int(k) for k in Kind if k.name.startswith("ORDER_") and k is not Kind.ORDER_INITIALIZED
)

TRANSITIONS: dict[tuple[OrderStatus, int], OrderStatus | Target] = {
    (S.INITIALIZED, K.ORDER_DENIED): S.DENIED,
    (S.INITIALIZED, K.ORDER_SUBMITTED): S.SUBMITTED,
    # External orders (reconciled from a venue) arrive without a SUBMITTED of ours.
    (S.INITIALIZED, K.ORDER_REJECTED): S.REJECTED,
    (S.INITIALIZED, K.ORDER_ACCEPTED): S.ACCEPTED,
    (S.INITIALIZED, K.ORDER_CANCELED): S.CANCELED,
    (S.INITIALIZED, K.ORDER_EXPIRED): S.EXPIRED,
    (S.INITIALIZED, K.ORDER_TRIGGERED): S.TRIGGERED,
    # An OTO child held by the kernel's order manager is sized to its parent's fill before it
    # is released (engines/order_manager.py).
    (S.INITIALIZED, K.ORDER_UPDATED): S.INITIALIZED,
    # An emulated order is held by the kernel's emulator (engines/emulator.py) until its trigger,
    # then released and submitted (ORDER_EMULATED / ORDER_RELEASED keep it INITIALIZED).
    (S.INITIALIZED, K.ORDER_EMULATED): S.INITIALIZED,
    (S.INITIALIZED, K.ORDER_RELEASED): S.INITIALIZED,
    # An emulated OTO child is handed to the emulator when its parent fills (ORDER_ARMED).
    (S.INITIALIZED, K.ORDER_ARMED): S.INITIALIZED,
    (S.SUBMITTED, K.ORDER_PENDING_UPDATE): S.PENDING_UPDATE,
    (S.SUBMITTED, K.ORDER_PENDING_CANCEL): S.PENDING_CANCEL,
    (S.SUBMITTED, K.ORDER_REJECTED): S.REJECTED,
    # IOC / FOK orders may be canceled by the venue without ever being acknowledged.
    (S.SUBMITTED, K.ORDER_CANCELED): S.CANCELED,
    (S.SUBMITTED, K.ORDER_ACCEPTED): S.ACCEPTED,
    (S.SUBMITTED, K.ORDER_TRIGGERED): S.TRIGGERED,
    # A marketable order may fill before its acceptance is reported.
    (S.SUBMITTED, K.ORDER_FILLED): FILL,
    # A stop-limit may be rejected by the venue when it triggers.
    (S.ACCEPTED, K.ORDER_REJECTED): S.REJECTED,
    (S.ACCEPTED, K.ORDER_PENDING_UPDATE): S.PENDING_UPDATE,
    (S.ACCEPTED, K.ORDER_PENDING_CANCEL): S.PENDING_CANCEL,
    (S.ACCEPTED, K.ORDER_CANCELED): S.CANCELED,
    (S.ACCEPTED, K.ORDER_TRIGGERED): S.TRIGGERED,
    (S.ACCEPTED, K.ORDER_EXPIRED): S.EXPIRED,
    (S.ACCEPTED, K.ORDER_FILLED): FILL,
    # The venue changed the order without being asked (e.g. a quantity reduced by a trade bust).
    (S.ACCEPTED, K.ORDER_UPDATED): S.ACCEPTED,
    # A late reply to a modify / cancel that was already settled: informational only.
    (S.ACCEPTED, K.ORDER_MODIFY_REJECTED): S.ACCEPTED,
    (S.ACCEPTED, K.ORDER_CANCEL_REJECTED): S.ACCEPTED,
    # Real-world possibility: fill after cancel (the fill crossed the cancel on the wire).
    (S.CANCELED, K.ORDER_FILLED): FILL,
    (S.PENDING_UPDATE, K.ORDER_REJECTED): S.REJECTED,
    # Some venues acknowledge a modify with a fresh ACCEPTED.
    (S.PENDING_UPDATE, K.ORDER_ACCEPTED): PREVIOUS,
    (S.PENDING_UPDATE, K.ORDER_UPDATED): PREVIOUS,
    (S.PENDING_UPDATE, K.ORDER_MODIFY_REJECTED): PREVIOUS,
    (S.PENDING_UPDATE, K.ORDER_CANCELED): S.CANCELED,
    (S.PENDING_UPDATE, K.ORDER_EXPIRED): S.EXPIRED,
    (S.PENDING_UPDATE, K.ORDER_TRIGGERED): S.TRIGGERED,
    # A second modify before the first was answered.
    (S.PENDING_UPDATE, K.ORDER_PENDING_UPDATE): S.PENDING_UPDATE,
    (S.PENDING_UPDATE, K.ORDER_PENDING_CANCEL): S.PENDING_CANCEL,
    (S.PENDING_UPDATE, K.ORDER_FILLED): FILL,
    (S.PENDING_CANCEL, K.ORDER_REJECTED): S.REJECTED,
    (S.PENDING_CANCEL, K.ORDER_PENDING_CANCEL): S.PENDING_CANCEL,
    (S.PENDING_CANCEL, K.ORDER_CANCELED): S.CANCELED,
    (S.PENDING_CANCEL, K.ORDER_EXPIRED): S.EXPIRED,
    # A failed cancel request: some venues re-send ACCEPTED instead of CANCEL_REJECTED.
    (S.PENDING_CANCEL, K.ORDER_ACCEPTED): PREVIOUS,
    (S.PENDING_CANCEL, K.ORDER_CANCEL_REJECTED): PREVIOUS,
    # The modify sent before the cancel is answered while the cancel is still in flight.
    (S.PENDING_CANCEL, K.ORDER_UPDATED): S.PENDING_CANCEL,
    (S.PENDING_CANCEL, K.ORDER_MODIFY_REJECTED): S.PENDING_CANCEL,
    # Real-world possibility: the order fills while the cancel is in flight (PENDING_CANCEL ->
    # PARTIALLY_FILLED on a partial fill; the cancel's answer follows).
    (S.PENDING_CANCEL, K.ORDER_FILLED): FILL,
    (S.TRIGGERED, K.ORDER_REJECTED): S.REJECTED,
    (S.TRIGGERED, K.ORDER_PENDING_UPDATE): S.PENDING_UPDATE,
    (S.TRIGGERED, K.ORDER_PENDING_CANCEL): S.PENDING_CANCEL,
    (S.TRIGGERED, K.ORDER_CANCELED): S.CANCELED,
    (S.TRIGGERED, K.ORDER_EXPIRED): S.EXPIRED,
    (S.TRIGGERED, K.ORDER_FILLED): FILL,
    (S.TRIGGERED, K.ORDER_UPDATED): S.TRIGGERED,
    (S.TRIGGERED, K.ORDER_MODIFY_REJECTED): S.TRIGGERED,
    (S.TRIGGERED, K.ORDER_CANCEL_REJECTED): S.TRIGGERED,
    (S.PARTIALLY_FILLED, K.ORDER_PENDING_UPDATE): S.PENDING_UPDATE,
    (S.PARTIALLY_FILLED, K.ORDER_PENDING_CANCEL): S.PENDING_CANCEL,
    (S.PARTIALLY_FILLED, K.ORDER_CANCELED): S.CANCELED,
    (S.PARTIALLY_FILLED, K.ORDER_EXPIRED): S.EXPIRED,
    (S.PARTIALLY_FILLED, K.ORDER_FILLED): FILL,
    (S.PARTIALLY_FILLED, K.ORDER_UPDATED): S.PARTIALLY_FILLED,
    (S.PARTIALLY_FILLED, K.ORDER_MODIFY_REJECTED): S.PARTIALLY_FILLED,
    (S.PARTIALLY_FILLED, K.ORDER_CANCEL_REJECTED): S.PARTIALLY_FILLED,
    # A modify / cancel refused before the order reached the venue (risk: "never submitted";
    # the venue: "not yet acknowledged"): informational, the order stays where it is.
    (S.INITIALIZED, K.ORDER_MODIFY_REJECTED): S.INITIALIZED,
    (S.INITIALIZED, K.ORDER_CANCEL_REJECTED): S.INITIALIZED,
    (S.SUBMITTED, K.ORDER_MODIFY_REJECTED): S.SUBMITTED,
    (S.SUBMITTED, K.ORDER_CANCEL_REJECTED): S.SUBMITTED,
    # Real-world possibility: a modify or cancel of an order that is already closed (it filled,
    # expired or was canceled while the request was on the wire, or the strategy asked too late)
    # is answered with a reject; it changes nothing.
    **{
        (closed, kind): closed
        for closed in (S.DENIED, S.REJECTED, S.CANCELED, S.EXPIRED, S.FILLED)
        for kind in (K.ORDER_MODIFY_REJECTED, K.ORDER_CANCEL_REJECTED)
    },
    # Real-world possibility: a cancel or modify decided while an event that closes the order was
    # already sequenced ahead of it (a fill later in the same batch of the cascade). The request
    # changes nothing; the venue answers it with CANCEL_REJECTED / MODIFY_REJECTED.
    **{
        (closed, kind): closed
        for closed in (S.REJECTED, S.CANCELED, S.EXPIRED, S.FILLED)
        for kind in (K.ORDER_PENDING_CANCEL, K.ORDER_PENDING_UPDATE)
    },
}

#: Statuses from which the order can still change at the venue.
OPEN_STATUSES = frozenset(
    {S.ACCEPTED, S.TRIGGERED, S.PENDING_UPDATE, S.PENDING_CANCEL, S.PARTIALLY_FILLED}
)
#: Statuses where a request is in flight and its answer is awaited.
INFLIGHT_STATUSES = frozenset({S.SUBMITTED, S.PENDING_UPDATE, S.PENDING_CANCEL})
#: Statuses no further event can leave, except a fill after cancel (see the table); a late
#: modify / cancel reject is accepted and leaves them unchanged.
CLOSED_STATUSES = frozenset({S.DENIED, S.REJECTED, S.CANCELED, S.EXPIRED, S.FILLED})
#: Statuses a PREVIOUS target may resolve to (PENDING_* are never "previous").
PENDING_STATUSES = frozenset({S.PENDING_UPDATE, S.PENDING_CANCEL})


class InvalidTransition(Exception):  # noqa: N818 - the project's documented error name
    """An event that the order state machine does not allow from the order's status."""

    def __init__(
        self, status: OrderStatus, kind: int, client_order_id: int = 0, seq: int = 0
    ) -> None:
        self.status = status
        self.kind = kind
        self.client_order_id = client_order_id
        self.seq = seq
        where = f" at seq {seq}" if seq else ""
        super().__init__(
            f"order {client_order_id}: event {_kind_name(kind)} is not allowed in status "
            f"{OrderStatus(status).name}{where}"
        )


def _kind_name(kind: int) -> str:
    try:
        return Kind(kind).name
    except ValueError:
        return f"kind {kind}"


def next_status(
    status: OrderStatus,
    kind: int,
    *,
    fully_filled: bool = False,
    previous: OrderStatus = OrderStatus.ACCEPTED,
    client_order_id: int = 0,
    seq: int = 0,
) -> OrderStatus:
    """Returns the status after ``kind``; raises InvalidTransition if the table has no row.

    ``fully_filled`` resolves a FILL target, ``previous`` a PREVIOUS target.
    """
    target = TRANSITIONS.get((status, kind))
    if target is None:
        raise InvalidTransition(status, kind, client_order_id, seq)
    if target is FILL:
        return S.FILLED if fully_filled else S.PARTIALLY_FILLED
    if target is PREVIOUS:
        return previous
    return target  # type: ignore[return-value]


def reachable_statuses(start: OrderStatus = OrderStatus.INITIALIZED) -> frozenset[OrderStatus]:
    """Returns every status reachable from ``start`` by walking the table (targets resolved)."""
    seen = {start}
    frontier = [start]
    while frontier:
        status = frontier.pop()
        for (source, _kind), target in sorted(TRANSITIONS.items()):
            if source != status:
                continue
            if target is FILL:
                targets: tuple[OrderStatus, ...] = (S.FILLED, S.PARTIALLY_FILLED)
            elif target is PREVIOUS:
                targets = (S.SUBMITTED, *sorted(OPEN_STATUSES - PENDING_STATUSES))
            else:
                targets = (target,)  # type: ignore[assignment]
            for t in targets:
                if t not in seen:
                    seen.add(t)
                    frontier.append(t)
    return frozenset(seen)
