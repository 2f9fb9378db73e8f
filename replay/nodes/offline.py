"""The stand-in for an external venue when a journal is re-executed or rebuilt.

A live node's venue (FIX) answered through INPUT records, which re-execution feeds from the
journal; the commands the kernel hands to this client were sent when the journal was written,
so it sends nothing: a journal never makes a node send anything on open.
"""

from __future__ import annotations

from typing import Any


class ExternalVenue:
    """What every client of an external venue shares: the venue's name, the kernel, the
    venue account's interned id (``VENUE-001``, read lazily) and the order request of a
    SUBMIT_ORDER as of the command (:func:`replay.nodes.order_request.order_request`)."""

    def __init__(self, venue: str, kernel: Any) -> None:
        self.venue = venue
        self.kernel = kernel

    @property
    def account_id(self) -> int:
        return self.kernel.strings.id_of(f"{self.venue}-001") or 0

    @staticmethod
    def at_command(cmd: Any, ctx: Any) -> Any:
        from replay.nodes.order_request import order_request  # the live extra: when used

        return order_request(cmd, ctx)


class OfflineVenue(ExternalVenue):
    """An :class:`engines.kernel_outbound.ExternalExecutionClient` that sends nothing and keeps
    what it was handed (``handed``: ``(operation, client_order_id or instrument_id, request)``
    in order; the request of a submit as the live node built it), so re-execution can compare
    the commands with the messages the live node's session store says it sent."""

    def __init__(self, venue: str, kernel: Any) -> None:
        super().__init__(venue, kernel)
        self.handed: list[tuple[str, int, Any]] = []

    def submit(self, cmd: Any, request: Any = None) -> None:
        self.handed.append(("submit", cmd.client_order_id, request))

    def submit_order_list(self, cmd: Any, orders: list[Any], requests: Any = None) -> None:
        for i, order in enumerate(orders):
            self.submit(order, None if requests is None else requests[i])

    def modify(self, cmd: Any) -> None:
        self.handed.append(("modify", cmd.client_order_id, None))

    def cancel(self, cmd: Any) -> None:
        self.handed.append(("cancel", cmd.client_order_id, None))

    def cancel_all(self, cmd: Any) -> None:
        self.handed.append(("cancel_all", cmd.instrument_id, None))
