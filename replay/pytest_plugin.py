"""The ringbus pytest plugin: fixtures for property-testing strategies and journals.

Registered as the ``pytest11`` entry point ``ringbus = replay.pytest_plugin``; it exposes the
fixtures of :mod:`replay.testing.fixtures` (``kernel_factory``, ``run_strategy``,
``journal_from_stream``) to every test of a project that installs ringbus.
"""

from __future__ import annotations

from replay.testing.fixtures import journal_from_stream, kernel_factory, run_strategy

__all__ = ["journal_from_stream", "kernel_factory", "run_strategy"]
