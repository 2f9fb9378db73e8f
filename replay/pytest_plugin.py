"""The ringbus pytest plugin: fixtures for property-testing strategies and journals.

Registered as the ``pytest11`` entry point ``ringbus = replay.pytest_plugin``; it exposes the
fixtures of :mod:`replay.testing.fixtures` (``kernel_factory``, ``run_strategy``,
``journal_from_stream``) to every test of a project that installs ringbus. The kernel stack is
imported only when a test asks for one of them, so installing ringbus costs other test suites
nothing at startup.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def kernel_factory() -> Callable[..., Any]:
    """Returns ``build(instrument, *strategies, **options) -> TradingHarness``."""
    from replay.testing.harness import TradingHarness

    def build(instrument: Any, *strategies: Any, **options: Any) -> TradingHarness:
        return TradingHarness(instrument, strategies, **options)

    return build


@pytest.fixture
def run_strategy() -> Callable[..., Any]:
    """Returns ``run(stream, *strategies, invariants=None, **options) -> StrategyRun``."""
    from replay.testing.strategy_run import make_run

    return make_run


@pytest.fixture
def journal_from_stream(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Returns ``save(stream_or_records, name="stream") -> Path`` of a new journal."""
    from replay.testing.journal_io import write_journal

    def save(stream: Any, name: str = "stream") -> Path:
        return write_journal(stream, tmp_path_factory.mktemp("journals") / name)

    return save
