"""A progress line for a job of many tasks: done / total and running, on stderr.

Shown only when enabled and stderr is a TTY; ``tqdm`` when installed, else a built-in line
redrawn at most 4 times a second. Wall-clock time here is for display only.
"""

from __future__ import annotations

import sys
import time
from typing import Any


class TaskProgress:
    """Call :meth:`update` with the counts as they change; :meth:`close` ends the line."""

    def __init__(self, total: int, enabled: bool = True, label: str = "points",
                 stream: Any = None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
        self.label = label
        self.done = 0
        self._bar: Any = None
        self._last_draw = 0.0
        if self.enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=total, desc=label, unit="task", file=self.stream,
                                 mininterval=0.25)

    def update(self, done: int, running: int) -> None:
        """Sets the number of tasks done and running."""
        if not self.enabled:
            self.done = done
            return
        if self._bar is not None:
            self._bar.update(done - self.done)
            self._bar.set_postfix(running=running, refresh=False)
            self.done = done
            return
        self.done = done
        now = time.perf_counter()
        if now - self._last_draw >= 0.25 or done == self.total:
            self._last_draw = now
            self.stream.write(f"\r{self.label}: {done}/{self.total} done, {running} running")
            self.stream.flush()

    def close(self) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.close()
        else:
            self.stream.write("\n")
            self.stream.flush()
