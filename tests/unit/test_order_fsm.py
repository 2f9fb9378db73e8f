"""The order state machine table, walked exhaustively: every (status, event) pair."""

from __future__ import annotations

import itertools

import pytest

from domain.kinds import Kind
from domain.order_fsm import (
    CLOSED_STATUSES,
    FILL,
    ORDER_EVENT_KINDS,
    PREVIOUS,
    TRANSITIONS,
    InvalidTransition,
    OrderStatus,
    next_status,
    reachable_statuses,
)

ALL_PAIRS = list(itertools.product(OrderStatus, ORDER_EVENT_KINDS))


def test_event_kinds_are_every_order_event_but_initialized():
    names = {Kind(k).name for k in ORDER_EVENT_KINDS}
    assert "ORDER_INITIALIZED" not in names
    assert {"ORDER_FILLED", "ORDER_CANCELED", "ORDER_UPDATED", "ORDER_DENIED"} <= names
    # + ORDER_EMULATED, ORDER_RELEASED, ORDER_ARMED (emulator)
    assert len(ORDER_EVENT_KINDS) == 16


def test_table_only_mentions_known_statuses_and_order_event_kinds():
    for (status, kind), target in TRANSITIONS.items():
        assert status in OrderStatus
        assert kind in ORDER_EVENT_KINDS
        assert target in OrderStatus or target in (FILL, PREVIOUS)


@pytest.mark.parametrize(("status", "kind"), ALL_PAIRS)
def test_every_pair_lands_where_the_table_says_or_raises(status, kind):
    target = TRANSITIONS.get((status, kind))
    if target is None:
        with pytest.raises(InvalidTransition) as err:
            next_status(status, kind, client_order_id=77, seq=1234)
        message = str(err.value)
        assert status.name in message and Kind(kind).name in message
        assert "77" in message and "seq 1234" in message
        assert err.value.seq == 1234 and err.value.status == status
    elif target is FILL:
        assert next_status(status, kind, fully_filled=True) == OrderStatus.FILLED
        assert next_status(status, kind, fully_filled=False) == OrderStatus.PARTIALLY_FILLED
    elif target is PREVIOUS:
        for prev in (OrderStatus.ACCEPTED, OrderStatus.TRIGGERED, OrderStatus.PARTIALLY_FILLED):
            assert next_status(status, kind, previous=prev) == prev
    else:
        assert next_status(status, kind) == target


def test_terminal_statuses_accept_nothing_except_a_fill_after_cancel_and_late_requests():
    late_rejects = {int(Kind.ORDER_MODIFY_REJECTED), int(Kind.ORDER_CANCEL_REJECTED)}
    late_requests = {int(Kind.ORDER_PENDING_CANCEL), int(Kind.ORDER_PENDING_UPDATE)}
    for status in CLOSED_STATUSES:
        legal = {kind for (s, kind) in TRANSITIONS if s == status}
        if status == OrderStatus.CANCELED:
            assert legal == {int(Kind.ORDER_FILLED)} | late_rejects | late_requests
        elif status == OrderStatus.DENIED:  # never reached a venue: no request can race it
            assert legal == late_rejects, status
        else:
            assert legal == late_rejects | late_requests, status
        for kind in legal - {int(Kind.ORDER_FILLED)}:
            assert next_status(status, kind) == status


def test_fill_after_cancel_reopens_as_partially_filled():
    assert (
        next_status(OrderStatus.CANCELED, Kind.ORDER_FILLED, fully_filled=False)
        == OrderStatus.PARTIALLY_FILLED
    )


def test_pending_cancel_moves_to_partially_filled_on_a_partial_fill():
    assert (
        next_status(OrderStatus.PENDING_CANCEL, Kind.ORDER_FILLED) == OrderStatus.PARTIALLY_FILLED
    )


def test_rejected_cancel_returns_to_the_status_before_pending():
    assert (
        next_status(
            OrderStatus.PENDING_CANCEL, Kind.ORDER_CANCEL_REJECTED,
            previous=OrderStatus.PARTIALLY_FILLED,
        )
        == OrderStatus.PARTIALLY_FILLED
    )


def test_every_status_is_reachable_from_initialized():
    assert reachable_statuses() == frozenset(OrderStatus)


def test_nothing_but_a_fill_leaves_filled_or_denied():
    assert reachable_statuses(OrderStatus.DENIED) == {OrderStatus.DENIED}
    assert reachable_statuses(OrderStatus.FILLED) == {OrderStatus.FILLED}


def test_a_kind_that_is_not_an_order_event_is_an_invalid_transition():
    with pytest.raises(InvalidTransition, match="QUOTE"):
        next_status(OrderStatus.ACCEPTED, Kind.QUOTE)
