"""The long-running commands' stop: SIGINT and SIGTERM set one event the node polls."""

from __future__ import annotations

import signal
import threading


def stop_on_signals() -> threading.Event:
    """Returns an event that SIGINT or SIGTERM sets (handlers installed on the main thread)."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop.set())
    return stop
