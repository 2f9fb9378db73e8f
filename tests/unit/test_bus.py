"""MessageBus: wildcard matching, delivery order, cache invalidation, endpoints, requests."""

from __future__ import annotations

from typing import Any

import pytest

from ringbus import (
    DuplicateEndpointError,
    MessageBus,
    Request,
    UnknownCorrelationIdError,
    UnknownEndpointError,
    UnknownSubscriptionError,
)
from ringbus.bus import topic_matches


@pytest.mark.parametrize(
    ("pattern", "topic", "matches"),
    [
        ("data.quotes.*", "data.quotes.EURUSD", True),
        ("data.quotes.*", "data.quotes.", False),  # * is one or more characters
        ("data.quotes.*", "data.quotes.SIM.EURUSD", True),  # * crosses dots
        ("data.quotes.*", "data.trades.EURUSD", False),
        ("data.*.EURUSD", "data.quotes.EURUSD", True),
        ("data.quote?.X", "data.quotes.X", True),
        ("data.quote?.X", "data.quote.X", False),  # ? is exactly one character
        ("data.quote?.X", "data.quotess.X", False),
        ("events.order.1", "events.order.1", True),
        ("events.order.1", "events.order.12", False),  # a pattern matches the whole topic
        ("a.b", "aXb", False),  # a dot is literal
        ("*", "anything", True),
        ("[x]", "[x]", True),  # regex characters are literal
        ("[x]", "x", False),
    ],
)
def test_wildcard_patterns_match_whole_topics(pattern: str, topic: str, matches: bool) -> None:
    assert topic_matches(pattern, topic) is matches


def collector(name: str, out: list[tuple[str, Any]]) -> Any:
    def handler(msg: Any) -> None:
        out.append((name, msg))

    return handler


def test_delivery_is_by_priority_descending_then_subscription_order() -> None:
    bus = MessageBus()
    out: list[tuple[str, Any]] = []
    bus.subscribe("data.*", collector("low_first", out))
    bus.subscribe("data.quotes.*", collector("high", out), priority=10)
    bus.subscribe("data.quotes.E*", collector("low_second", out))
    bus.subscribe("data.quotes.EURUSD", collector("mid", out), priority=5)
    bus.subscribe("data.trades.*", collector("not_matching", out), priority=99)
    bus.publish("data.quotes.EURUSD", 1)
    assert out == [("high", 1), ("mid", 1), ("low_first", 1), ("low_second", 1)]


def test_publishing_to_a_topic_nobody_matches_delivers_nothing() -> None:
    bus = MessageBus()
    out: list[tuple[str, Any]] = []
    bus.subscribe("data.quotes.*", collector("q", out))
    bus.publish("data.trades.X", 1)
    assert out == []


def test_subscribing_after_a_publish_updates_the_cached_handlers() -> None:
    bus = MessageBus()
    out: list[tuple[str, Any]] = []
    a = collector("a", out)
    bus.subscribe("data.*", a)
    bus.publish("data.q", 1)
    bus.subscribe("data.?", collector("b", out), priority=1)
    bus.publish("data.q", 2)
    bus.unsubscribe("data.*", a)
    bus.publish("data.q", 3)
    assert out == [("a", 1), ("b", 2), ("a", 2), ("b", 3)]


def test_subscribing_the_same_pair_twice_is_a_no_op() -> None:
    bus = MessageBus()
    out: list[tuple[str, Any]] = []
    handler = collector("a", out)
    first = bus.subscribe("t", handler)
    assert bus.subscribe("t", handler, priority=3) is first
    bus.publish("t", 1)
    assert out == [("a", 1)]


def test_the_same_handler_on_two_matching_patterns_gets_the_message_twice() -> None:
    bus = MessageBus()
    out: list[tuple[str, Any]] = []
    handler = collector("a", out)
    bus.subscribe("t.*", handler)
    bus.subscribe("t.x", handler)
    bus.publish("t.x", 1)
    assert out == [("a", 1), ("a", 1)]


def test_unsubscribing_an_unknown_pair_raises_naming_the_pattern() -> None:
    bus = MessageBus()
    with pytest.raises(UnknownSubscriptionError, match="'data.\\*'"):
        bus.unsubscribe("data.*", print)


def test_an_empty_pattern_is_refused() -> None:
    with pytest.raises(ValueError, match="pattern must be a non-empty string"):
        MessageBus().subscribe("", print)


def test_send_delivers_to_the_registered_endpoint_only() -> None:
    bus = MessageBus()
    out: list[tuple[str, Any]] = []
    bus.register("RiskEngine.execute", collector("risk", out))
    bus.register("ExecEngine.execute", collector("exec", out))
    bus.send("RiskEngine.execute", "order")
    assert out == [("risk", "order")]


def test_registering_an_endpoint_twice_is_refused_naming_it() -> None:
    bus = MessageBus()
    bus.register("ep", print)
    with pytest.raises(DuplicateEndpointError, match="endpoint 'ep' already has handler"):
        bus.register("ep", print)


def test_sending_to_an_unknown_endpoint_raises_naming_it_and_the_known_ones() -> None:
    bus = MessageBus()
    bus.register("known", print)
    with pytest.raises(UnknownEndpointError, match=r"send: endpoint 'nope' .*\['known'\]"):
        bus.send("nope", 1)
    bus.deregister("known")
    with pytest.raises(UnknownEndpointError, match="deregister: endpoint 'known'"):
        bus.deregister("known")


def test_request_response_calls_back_with_the_response_by_correlation_id() -> None:
    bus = MessageBus()
    requests: list[Request] = []
    bus.register("Cache.query", requests.append)
    responses: list[tuple[str, Any]] = []
    first = bus.request("Cache.query", "positions", collector("first", responses))
    second = bus.request("Cache.query", "orders", collector("second", responses))
    assert (first, second) == (1, 2), "correlation ids are deterministic"
    assert requests == [Request(1, "positions"), Request(2, "orders")]
    assert bus.pending_requests() == (1, 2)
    bus.respond(second, ["o1"])
    bus.respond(first, [])
    assert responses == [("second", ["o1"]), ("first", [])]
    assert bus.pending_requests() == ()


def test_an_endpoint_can_respond_synchronously() -> None:
    bus = MessageBus()
    bus.register("echo", lambda req: bus.respond(req.correlation_id, req.payload * 2))
    got: list[int] = []
    bus.request("echo", 21, got.append)
    assert got == [42]


def test_responding_to_an_unknown_or_answered_correlation_id_raises() -> None:
    bus = MessageBus()
    bus.register("ep", lambda req: None)
    with pytest.raises(UnknownCorrelationIdError, match="correlation_id 99 is not pending"):
        bus.respond(99, None)
    got: list[Any] = []
    cid = bus.request("ep", 0, got.append)
    bus.respond(cid, "ok")
    with pytest.raises(UnknownCorrelationIdError, match=f"correlation_id {cid} is not pending"):
        bus.respond(cid, "again")
    assert got == ["ok"]


def test_a_request_to_an_unknown_endpoint_raises_and_leaves_nothing_pending() -> None:
    bus = MessageBus()
    with pytest.raises(UnknownEndpointError, match="request: endpoint 'nope'"):
        bus.request("nope", 1, print)
    assert bus.pending_requests() == ()
