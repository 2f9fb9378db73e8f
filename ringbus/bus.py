"""The message bus of the kernel thread: pub/sub by topic, endpoints, request/response.

Design contract:
- everything runs on the kernel thread, synchronously: ``publish``/``send``/``respond`` call the
  handlers before returning;
- patterns match whole topics; ``*`` matches one or more characters (dots included), ``?``
  exactly one; any other character matches itself (``data.quotes.*`` matches
  ``data.quotes.17``, not ``data.quotes.``);
- delivery order for a topic is deterministic: priority descending, then subscription order;
- the handlers of each published topic are cached; (un)subscribe updates the cached topics its
  pattern matches, so a cached list is never stale;
- subscribing the same (pattern, handler) twice is a no-op; unsubscribing an unknown pair, sending
  to an unknown endpoint or responding to an unknown correlation id raises a typed error;
- correlation ids are deterministic: 1, 2, 3 ... per bus.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs

from ringbus.errors import (
    DuplicateEndpointError,
    UnknownCorrelationIdError,
    UnknownEndpointError,
    UnknownSubscriptionError,
)

Handler = Callable[[Any], None]


@attrs.frozen
class Subscription:
    """One (pattern, handler) pair; ``order`` is its subscription rank (ties by priority)."""

    pattern: str
    handler: Handler
    priority: int
    order: int


@attrs.frozen
class Request:
    """What a request endpoint receives: reply with ``bus.respond(correlation_id, response)``."""

    correlation_id: int
    payload: Any


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Returns the regex of a topic pattern (``*`` one or more chars, ``?`` one char)."""
    parts = []
    for ch in pattern:
        if ch == "*":
            parts.append(".+")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.DOTALL)


def topic_matches(pattern: str, topic: str) -> bool:
    """Returns True if ``topic`` matches ``pattern`` as a whole."""
    return compile_pattern(pattern).fullmatch(topic) is not None


class MessageBus:
    """Topic pub/sub with wildcards, point-to-point endpoints and request/response."""

    def __init__(self) -> None:
        self._subs: list[Subscription] = []
        self._regex: dict[str, re.Pattern[str]] = {}
        self._cache: dict[str, tuple[Handler, ...]] = {}
        self._next_order = 0
        self._endpoints: dict[str, Handler] = {}
        self._pending: dict[int, Handler] = {}
        self._next_correlation_id = 1

    # --- pub/sub ---------------------------------------------------------------------------------
    def subscribe(self, pattern: str, handler: Handler, priority: int = 0) -> Subscription:
        """Subscribes ``handler`` to topics matching ``pattern``; returns the subscription."""
        for sub in self._subs:
            if sub.pattern == pattern and sub.handler == handler:
                return sub
        if not pattern:
            raise ValueError("subscribe: pattern must be a non-empty string, got ''")
        sub = Subscription(pattern, handler, priority, self._next_order)
        self._next_order += 1
        self._subs.append(sub)
        self._regex.setdefault(pattern, compile_pattern(pattern))
        self._refresh(pattern)
        return sub

    def unsubscribe(self, pattern: str, handler: Handler) -> None:
        """Removes a subscription; raises UnknownSubscriptionError if it does not exist."""
        for i, sub in enumerate(self._subs):
            if sub.pattern == pattern and sub.handler == handler:
                del self._subs[i]
                self._refresh(pattern)
                return
        raise UnknownSubscriptionError(
            f"unsubscribe: no subscription of handler {handler!r} to pattern {pattern!r}"
        )

    def publish(self, topic: str, msg: Any) -> None:
        """Calls every handler whose pattern matches ``topic``, in delivery order."""
        handlers = self._cache.get(topic)
        if handlers is None:
            handlers = self.handlers_for(topic)
        for handler in handlers:
            handler(msg)

    def handlers_for(self, topic: str) -> tuple[Handler, ...]:
        """Returns the handlers of ``topic`` in delivery order (cached until (un)subscribe)."""
        handlers = self._cache.get(topic)
        if handlers is None:
            handlers = self._match(topic)
            self._cache[topic] = handlers
        return handlers

    def subscriptions(self) -> tuple[Subscription, ...]:
        """Returns every subscription in subscription order."""
        return tuple(self._subs)

    def _match(self, topic: str) -> tuple[Handler, ...]:
        matched = [s for s in self._subs if self._regex[s.pattern].fullmatch(topic)]
        matched.sort(key=lambda s: (-s.priority, s.order))
        return tuple(s.handler for s in matched)

    def _refresh(self, pattern: str) -> None:
        regex = self._regex[pattern]
        for topic in [t for t in self._cache if regex.fullmatch(t)]:
            self._cache[topic] = self._match(topic)

    # --- point-to-point --------------------------------------------------------------------------
    def register(self, endpoint: str, handler: Handler) -> None:
        """Makes ``handler`` the one receiver of ``endpoint``; raises if it already has one."""
        if endpoint in self._endpoints:
            raise DuplicateEndpointError(
                f"register: endpoint {endpoint!r} already has handler {self._endpoints[endpoint]!r}"
            )
        self._endpoints[endpoint] = handler

    def deregister(self, endpoint: str) -> None:
        """Removes an endpoint; raises UnknownEndpointError if it is not registered."""
        if self._endpoints.pop(endpoint, None) is None:
            raise UnknownEndpointError(f"deregister: endpoint {endpoint!r} is not registered")

    def send(self, endpoint: str, msg: Any) -> None:
        """Delivers ``msg`` to the endpoint's handler; raises UnknownEndpointError if none."""
        handler = self._endpoints.get(endpoint)
        if handler is None:
            raise UnknownEndpointError(
                f"send: endpoint {endpoint!r} is not registered (known: {sorted(self._endpoints)})"
            )
        handler(msg)

    # --- request/response ------------------------------------------------------------------------
    def request(self, endpoint: str, msg: Any, callback: Handler) -> int:
        """Sends ``Request(correlation_id, msg)`` to ``endpoint``; returns the correlation id.

        ``callback(response)`` runs when the endpoint (now or later) calls :meth:`respond`.
        """
        handler = self._endpoints.get(endpoint)
        if handler is None:
            raise UnknownEndpointError(
                f"request: endpoint {endpoint!r} is not registered (known: {sorted(self._endpoints)})"
            )
        correlation_id = self._next_correlation_id
        self._next_correlation_id += 1
        self._pending[correlation_id] = callback
        handler(Request(correlation_id, msg))
        return correlation_id

    def respond(self, correlation_id: int, response: Any) -> None:
        """Hands ``response`` to the callback of a pending request (each id answers once)."""
        callback = self._pending.pop(correlation_id, None)
        if callback is None:
            raise UnknownCorrelationIdError(
                f"respond: correlation_id {correlation_id} is not pending (unknown or already "
                f"answered)"
            )
        callback(response)

    def pending_requests(self) -> tuple[int, ...]:
        """Returns the correlation ids still waiting for a response, oldest first."""
        return tuple(self._pending)
