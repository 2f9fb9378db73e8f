"""The node driver: one kernel's life (startup, inputs, shutdown) for every kind of node.

Backtest, re-execution and crash recovery all build their kernel with
:func:`replay.nodes.assemble.assemble`, start it with :func:`replay.nodes.lifecycle.startup`,
feed it through :class:`replay.nodes.driver.NodeDriver` from an input source
(:mod:`replay.nodes.inputs`: data files, the INPUT records of a journal, a live inbox with a
clock) and end it with :func:`replay.nodes.lifecycle.end_run`: the startup and shutdown records
are written by one function each. The package imports nothing of the nodes built on it.
"""
