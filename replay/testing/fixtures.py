"""Pytest fixtures for testing strategies and journals in a few lines.

Use them through the plugin (``replay.pytest_plugin``, registered as a pytest11 entry point) or
import them into a test module / conftest::

    from replay.testing.fixtures import kernel_factory, journal_from_stream, run_strategy

- ``kernel_factory(instrument, *strategies, **options)`` -> :class:`TradingHarness` (kernel,
  cache, engines, simulated exchange and your strategies, started; ``feed`` it streams);
- ``run_strategy(stream, *strategies, invariants=None, **options)`` -> :class:`StrategyRun`:
  runs the stream through a fresh harness, stops it, checks every invariant on the whole log;
  ``run.assert_ok()`` fails the test with the first violation and the log, one line a record;
- ``journal_from_stream(stream_or_records, name="stream")`` -> the path of a journal holding
  it (a counterexample to replay with ``ringbus check`` / ``inspect`` / ``replay``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from replay.testing.check import CheckResult, check
from replay.testing.harness import TradingHarness
from replay.testing.pretty import format_stream
from replay.testing.state import CheckConfig

__all__ = ["StrategyRun", "journal_from_stream", "kernel_factory", "run_strategy"]


@attrs.frozen
class StrategyRun:
    """A finished harness run: the whole log and what the invariants found on it."""

    harness: TradingHarness
    log: np.ndarray = attrs.field(eq=False, repr=False)
    result: CheckResult

    def assert_ok(self) -> None:
        """Raises AssertionError naming the first violation (or error) with the log."""
        if self.result.ok:
            return
        lines = []
        for v in self.result.violations:
            lines.append(f"{v.invariant} violated at seq {v.seq}: {v.message}\n  {v.excerpt}")
        for e in self.result.errors:
            lines.append(f"invariant {e.invariant} raised at seq {e.seq}:\n{e.traceback}")
        seq = self.result.first.seq if self.result.first else len(self.log)
        raise AssertionError("\n".join(lines) + "\nlog up to there:\n" +
                             format_stream(self.log[: seq], limit=400))


def make_run(stream: Any, *strategies: Any, invariants: Sequence[Any] | None = None,
             config: CheckConfig | None = None, **options: Any) -> StrategyRun:
    """Runs ``stream`` through a new harness with ``strategies`` and checks the log."""
    harness = TradingHarness(stream.instrument, strategies, **options)
    harness.feed(stream)
    harness.finish()
    log = harness.log()
    return StrategyRun(harness, log, check(log, invariants, config=config))


# The fixtures themselves live in the pytest plugin (lazy imports); re-exported for
# `from replay.testing.fixtures import run_strategy` in a conftest.
from replay.pytest_plugin import journal_from_stream, kernel_factory, run_strategy  # noqa: E402

__all__ = ["StrategyRun", "journal_from_stream", "kernel_factory", "make_run", "run_strategy"]
