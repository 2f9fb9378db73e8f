"""A progress line with records/s for long runs, on stderr.

Design contract:
- shown only when asked for and stderr is a TTY (never in pipes, CI logs or ``--quiet``);
- uses ``tqdm`` when it is installed, else a minimal built-in line redrawn at most 4 times a
  second; wall-clock time here is for display only and never reaches the kernel.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np


class Progress:
    """Counts records of the chunks passing through :meth:`wrap`; ``close`` ends the line."""

    def __init__(self, enabled: bool, label: str = "backtest", stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
        self.label = label
        self.n = 0
        self._bar: Any = None
        self._t0 = time.perf_counter()
        self._last_draw = 0.0
        if self.enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(desc=label, unit="rec", unit_scale=True, file=self.stream,
                                 mininterval=0.25)

    def wrap(self, chunks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """Yields ``chunks`` unchanged, counting their records."""
        for chunk in chunks:
            yield chunk
            self.update(len(chunk))

    def update(self, n: int) -> None:
        self.n += n
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.perf_counter()
        if now - self._last_draw >= 0.25:
            self._last_draw = now
            rate = self.n / max(now - self._t0, 1e-9)
            self.stream.write(f"\r{self.label}: {self.n:,} records, {rate:,.0f} records/s")
            self.stream.flush()

    def close(self) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.close()
        else:
            self.stream.write("\n")
            self.stream.flush()
