"""The stand-in for an external venue when a journal is re-executed or rebuilt.

A live node's venue (FIX) answered through INPUT records, which re-execution feeds from the
journal; the commands the kernel hands to this client were sent when the journal was written,
so it sends nothing: a journal never makes a node send anything on open.
"""

from __future__ import annotations

from typing import Any


class OfflineVenue:
    """An :class:`engines.kernel_outbound.ExternalExecutionClient` that drops every command;
    ``account_id`` is the venue account's interned id (``VENUE-001``), read lazily."""

    def __init__(self, venue: str, kernel: Any) -> None:
        self.venue = venue
        self._kernel = kernel
        #: commands handed out (re-execution counts them; nothing leaves the process)
        self.dropped = 0

    @property
    def account_id(self) -> int:
        return self._kernel.strings.id_of(f"{self.venue}-001") or 0

    def _drop(self, *args: Any) -> None:
        self.dropped += 1

    submit = submit_order_list = modify = cancel = cancel_all = _drop
