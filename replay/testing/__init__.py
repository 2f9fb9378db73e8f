"""replay.testing — property testing of strategies and of the engine's invariants.

Design contract:
- :mod:`~replay.testing.strategies` (hypothesis strategies) builds streams from lists of small
  steps, so shrinking gives short, readable counterexamples; every stream is a RECORD_DTYPE array
  that starts with the STRING and INSTRUMENT records it needs, has seq 1..n, INPUT flags and a
  non-decreasing ``ts_init``: it feeds the replay loop, a journal writer or :func:`check` as is;
- :mod:`~replay.testing.invariants` holds each invariant of DESIGN.md as a named function
  ``(state, record) -> None | str`` (None: it holds), with a registry (``builtin:<name>``,
  ``module:function``); :mod:`~replay.testing.check` folds a journal or a stream and runs them
  after every record, returning the first violation with its seq and a state excerpt;
- :mod:`~replay.testing.harness` wires a kernel as the backtest node does (engines, simulated
  exchange, your strategies) and keeps every record it publishes;
  :mod:`~replay.testing.fixtures` / ``replay.pytest_plugin`` wrap it in pytest fixtures;
  :mod:`~replay.testing.journal_io` saves any stream (a counterexample) as a journal;
- nothing here executes code from a journal; only the caller names user invariants.

Hypothesis is imported only by the strategies modules: :mod:`replay.testing.check` and the
``ringbus check`` command do not need it.
"""
