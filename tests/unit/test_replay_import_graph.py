"""The ``replay`` package has no import cycle (issue 19): every ``import`` of a ``replay``
module, at module level or inside a function, is an edge; the graph must be acyclic."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Known edges that close a cycle, each with why it is tolerated (none now). The test fails when
#: one disappears, so the exemption goes with it.
EXEMPT: dict[tuple[str, str], str] = {}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in (ROOT / "replay").rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            edges.update(t for t in targets if t in modules and t != name)
        # importing a package runs its __init__: an edge to each parent package too, except a
        # package the importer lies in (or is): its __init__ already ran before the importer
        graph[name] = edges | {p for e in edges if (p := e.rpartition(".")[0]) in modules
                               and e.count(".") > 1 and not (name + ".").startswith(p + ".")}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state and (found := visit(m)):
                return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (found := visit(n)):
            return found
    return None


def test_the_replay_package_has_no_import_cycle():
    graph = import_graph()
    assert "replay.backtest" in graph and "replay.nodes.driver" in graph
    for (a, b), why in EXEMPT.items():
        assert b in graph[a], f"the exempt edge {a} -> {b} is gone: drop it from EXEMPT ({why})"
        graph[a].discard(b)
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_backtest_reexecution_and_recovery_share_the_node_driver():
    graph = import_graph()
    for user in ("replay.backtest", "replay.reexecute"):
        assert {"replay.nodes.driver", "replay.nodes.lifecycle", "replay.nodes.assemble"} <= \
            graph[user], user
    # recovery is the backtest node's startup; the sandbox runs a BacktestNode over its live
    # feed and the standby takes over as a sandbox node: one driver for all of them
    assert "replay.recovery" in graph["replay.backtest"]
    assert "replay.backtest" in graph["replay.nodes.sandbox"]
    assert "replay.nodes.sandbox" in graph["replay.nodes.standby"]
