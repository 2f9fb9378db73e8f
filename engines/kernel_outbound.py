"""Commands to the outside world leave only after the journal committed them.

Design contract:
- an :class:`ExternalExecutionClient` (a live venue adapter, e.g. FIX) is registered with
  ``Kernel.register_external_client``; the engines then call a :class:`DeferredClient` in its
  place, which holds each command with the seq of the command record that caused it;
- after each publish the kernel flushes the journal, then :meth:`Outbound.release` hands every
  held command whose seq is at or below the journal's ``committed_seq`` to its client, in the
  order the engines issued them (one deque check per publish when nothing is held); a kernel
  without a journal hands them out once the publish has been handled;
- the client is called on the kernel thread, outside any record's handling: it must not emit
  records; what the venue answers comes back as INPUT records through the inbox;
- at a fault, held commands are dropped, never handed out: restart is recovery, and the
  recovered node reconciles with the venue (DESIGN.md, "Live, sandbox and standby");
- the simulated exchange is inside the deterministic core: it stays an ordinary
  :class:`engines.execution.ExecutionClient`, called while the command is handled.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Protocol


class ExternalExecutionClient(Protocol):
    """A venue outside the process. Each method gets a committed command (the raw namedtuple
    the engines built, position id resolved, as for :class:`engines.execution.ExecutionClient`).

    - ``venue``: the venue name, as in ``SYMBOL.VENUE``; ``account_id``: the interned id of
      the account its fills book to (read when the risk engine checks an order);
    - ``submit(cmd)``, ``submit_order_list(cmd, orders)``, ``modify(cmd)``, ``cancel(cmd)``,
      ``cancel_all(cmd)``: send the command; never raise for a venue's refusal (it comes back
      as a record), and never block the kernel thread on the wire;
    - optional ``at_command(cmd, ctx)``: called while a SUBMIT_ORDER (or each order of a list)
      is handled; its answer is handed out with the command: ``submit(cmd, answer)``,
      ``submit_order_list(cmd, orders, answers)`` (state as of the command, not the release).
    """

    venue: str
    account_id: int

    def submit(self, cmd: Any) -> None: ...

    def submit_order_list(self, cmd: Any, orders: list[Any]) -> None: ...

    def modify(self, cmd: Any) -> None: ...

    def cancel(self, cmd: Any) -> None: ...

    def cancel_all(self, cmd: Any) -> None: ...


class Outbound:
    """Commands held until their seq is committed, oldest first."""

    __slots__ = ("held",)

    def __init__(self) -> None:
        #: ``(seq, send, args)`` per held command, in issue order (seqs never decrease).
        self.held: deque[tuple[int, Callable[..., None], tuple[Any, ...]]] = deque()

    def hold(self, seq: int, send: Callable[..., None], args: tuple[Any, ...]) -> None:
        """Holds ``send(*args)`` until ``seq`` is committed."""
        self.held.append((seq, send, args))

    def release(self, committed_seq: int) -> int:
        """Hands out every held command at or below ``committed_seq``; returns how many."""
        held = self.held
        n = 0
        while held and held[0][0] <= committed_seq:
            _, send, args = held.popleft()
            send(*args)
            n += 1
        return n

    def drop(self) -> int:
        """Forgets every held command (the kernel faulted); returns how many."""
        n = len(self.held)
        self.held.clear()
        return n


class DeferredClient:
    """The :class:`engines.execution.ExecutionClient` the engines call for an external venue."""

    __slots__ = ("client", "_outbound", "_at_command")

    def __init__(self, client: ExternalExecutionClient, outbound: Outbound) -> None:
        self.client = client
        self._outbound = outbound
        #: the client's optional ``at_command(cmd, ctx)``: what it needs of the kernel's state
        #: as of the command (e.g. the quote that prices an emulated market order), read while
        #: the command is handled and handed out with it, so re-execution reads the same
        self._at_command = getattr(client, "at_command", None)

    @property
    def venue(self) -> str:
        return self.client.venue

    @property
    def account_id(self) -> int:
        return self.client.account_id

    def submit(self, cmd: Any, ctx: Any) -> None:
        at = self._at_command
        self._outbound.hold(ctx.current_seq, self.client.submit,
                            (cmd,) if at is None else (cmd, at(cmd, ctx)))

    def submit_order_list(self, cmd: Any, orders: list[Any], ctx: Any) -> None:
        at = self._at_command
        args = (cmd, list(orders)) if at is None else (
            cmd, list(orders), [at(o, ctx) for o in orders])
        self._outbound.hold(ctx.current_seq, self.client.submit_order_list, args)

    def modify(self, cmd: Any, ctx: Any) -> None:
        self._outbound.hold(ctx.current_seq, self.client.modify, (cmd,))

    def cancel(self, cmd: Any, ctx: Any) -> None:
        self._outbound.hold(ctx.current_seq, self.client.cancel, (cmd,))

    def cancel_all(self, cmd: Any, ctx: Any) -> None:
        self._outbound.hold(ctx.current_seq, self.client.cancel_all, (cmd,))
