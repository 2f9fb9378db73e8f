"""Capturing what a command prints, per thread: a worker may run several tasks at once.

``sys.stdout`` / ``sys.stderr`` are process-wide; :func:`captured` routes the writes of the
calling thread only into its own buffers (other threads keep writing where they did).
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_local = threading.local()
_install_lock = threading.Lock()


class _Routed(io.TextIOBase):
    """A text stream writing to the current thread's capture buffer, else to ``fallback``."""

    def __init__(self, name: str, fallback: Any) -> None:
        self.name = name
        self.fallback = fallback

    def _target(self) -> Any:
        buffers = getattr(_local, "buffers", None)
        return buffers[self.name] if buffers is not None else self.fallback

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def isatty(self) -> bool:
        return False if getattr(_local, "buffers", None) is not None else \
            bool(getattr(self.fallback, "isatty", lambda: False)())


def _install() -> None:
    with _install_lock:
        if not isinstance(sys.stdout, _Routed):
            sys.stdout = _Routed("stdout", sys.stdout)
        if not isinstance(sys.stderr, _Routed):
            sys.stderr = _Routed("stderr", sys.stderr)


@contextmanager
def captured() -> Iterator[dict[str, io.StringIO]]:
    """Yields ``{"stdout": buffer, "stderr": buffer}`` receiving this thread's output."""
    _install()
    buffers = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    previous = getattr(_local, "buffers", None)
    _local.buffers = buffers
    try:
        yield buffers
    finally:
        _local.buffers = previous
