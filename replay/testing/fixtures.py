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

from replay.pytest_plugin import journal_from_stream, kernel_factory, run_strategy
from replay.testing.strategy_run import StrategyRun, make_run

# The fixtures themselves live in the pytest plugin (lazy imports); re-exported for
# `from replay.testing.fixtures import run_strategy` in a conftest.
__all__ = ["StrategyRun", "journal_from_stream", "kernel_factory", "make_run", "run_strategy"]
