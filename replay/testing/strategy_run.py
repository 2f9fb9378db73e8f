"""A strategy run checked against the invariants: what ``run_strategy`` / ``make_run`` return.

Kept apart from :mod:`replay.testing.fixtures` so the pytest plugin (which the fixtures module
re-exports) imports it without an import cycle.
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

__all__ = ["StrategyRun", "make_run"]


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
