"""The consumer dependency graph: named handlers and who must run after whom.

Design contract:
- names are unique; every dependency names a consumer added earlier or later in the same graph;
  the graph is acyclic. Violations raise :class:`ConsumerGraphError` naming the consumers;
- execution order is a deterministic topological order: among consumers whose dependencies are
  met, the one declared first runs first (declaration order breaks every tie);
- ``bind(ring)`` creates one :class:`Consumer` per node and gates the ring on the leaves (the
  consumers nothing depends on): since every consumer is upstream of a leaf, no slot is reused
  before every consumer finished it.
"""

from __future__ import annotations

from collections.abc import Iterable

from ringbus.consumer import BatchHandler, Consumer
from ringbus.errors import ConsumerGraphError
from ringbus.outbox import Outbox
from ringbus.ring import Ring


class _Node:
    __slots__ = ("name", "handler", "after", "outbox")

    def __init__(
        self, name: str, handler: BatchHandler, after: tuple[str, ...], outbox: Outbox | None
    ) -> None:
        self.name = name
        self.handler = handler
        self.after = after
        self.outbox = outbox


class ConsumerGraph:
    """Named batch handlers with named dependencies (a DAG; diamonds are fine)."""

    def __init__(self) -> None:
        self._nodes: dict[str, _Node] = {}

    def add(
        self,
        name: str,
        handler: BatchHandler,
        after: Iterable[str] = (),
        outbox: Outbox | None = None,
    ) -> ConsumerGraph:
        """Declares a consumer that runs after every consumer named in ``after``; returns self.

        ``outbox`` is where the handler emits records; the drain loop publishes it after each call.
        """
        if name in self._nodes:
            raise ConsumerGraphError(f"consumer name {name!r} is declared twice")
        if not callable(getattr(handler, "on_batch", None)):
            raise ConsumerGraphError(f"consumer {name!r}: handler {handler!r} has no on_batch()")
        deps = tuple(after)
        if isinstance(after, str):
            raise ConsumerGraphError(f"consumer {name!r}: after must be a list of names, got {after!r}")
        if len(set(deps)) != len(deps):
            raise ConsumerGraphError(f"consumer {name!r}: after names a dependency twice: {deps}")
        if name in deps:
            raise ConsumerGraphError(f"consumer {name!r} depends on itself (cycle: {name} -> {name})")
        self._nodes[name] = _Node(name, handler, deps, outbox)
        return self

    @property
    def names(self) -> tuple[str, ...]:
        """Consumer names in declaration order."""
        return tuple(self._nodes)

    def order(self) -> list[str]:
        """Returns the execution order; raises ConsumerGraphError on unknown names or a cycle."""
        nodes = self._nodes
        for node in nodes.values():
            for dep in node.after:
                if dep not in nodes:
                    raise ConsumerGraphError(
                        f"consumer {node.name!r} depends on unknown consumer {dep!r} "
                        f"(known: {sorted(nodes)})"
                    )
        done: list[str] = []
        placed: set[str] = set()
        remaining = list(nodes)
        while remaining:
            for name in remaining:
                if all(dep in placed for dep in nodes[name].after):
                    done.append(name)
                    placed.add(name)
                    remaining.remove(name)
                    break
            else:
                raise ConsumerGraphError(f"consumer graph has a cycle: {self._find_cycle(remaining)}")
        return done

    def _find_cycle(self, remaining: list[str]) -> str:
        # Every remaining node has an unplaced dependency, so walking them must revisit a node.
        path: list[str] = []
        name = remaining[0]
        left = set(remaining)
        while name not in path:
            path.append(name)
            name = next(d for d in self._nodes[name].after if d in left)
        cycle = [*path[path.index(name) :], name]
        return " -> ".join(reversed(cycle))

    def bind(self, ring: Ring) -> list[Consumer]:
        """Creates the consumers on ``ring`` in execution order and gates the ring on the leaves."""
        consumers: dict[str, Consumer] = {}
        for name in self.order():
            node = self._nodes[name]
            deps = tuple(consumers[d] for d in node.after)
            consumers[name] = Consumer(name, node.handler, ring, deps, node.outbox)
        upstream = {dep for node in self._nodes.values() for dep in node.after}
        leaves = [c.sequence for name, c in consumers.items() if name not in upstream]
        ring.add_gating_sequences(*leaves)
        return list(consumers.values())
