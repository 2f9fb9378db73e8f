"""A progress line with records/s for long runs, on stderr.

Design contract:
- shown only when asked for and stderr is a TTY (never in pipes, CI logs or ``--quiet``);
- uses ``tqdm`` when it is installed, else a minimal built-in line redrawn at most 4 times a
  second and always once more on ``close`` with the final count;
- when ``total`` (records) is known, the line shows it with the percent done and an ETA;
- wall-clock time here is for display only and never reaches the kernel.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np


def _duration(seconds: float) -> str:
    """Formats ``seconds`` as ``H:MM:SS`` or ``MM:SS``."""
    s = max(int(seconds + 0.5), 0)
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def progress_line(label: str, n: int, elapsed: float, total: int | None = None) -> str:
    """Returns the built-in line for ``n`` records after ``elapsed`` seconds.

    With a known ``total``: ``label: n/total records (p%), r records/s, ETA mm:ss``."""
    rate = n / max(elapsed, 1e-9)
    if total is None or total <= 0:
        return f"{label}: {n:,} records, {rate:,.0f} records/s"
    pct = 100.0 * min(n, total) / total
    eta = _duration((total - n) / rate) if rate > 0 and n < total else _duration(0)
    return (f"{label}: {n:,}/{total:,} records ({pct:.0f}%), {rate:,.0f} records/s, "
            f"ETA {eta}")


class Progress:
    """Counts records of the chunks passing through :meth:`wrap`; ``close`` ends the line."""

    def __init__(self, enabled: bool, label: str = "backtest", stream: Any = None,
                 total: int | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
        self.label = label
        self.total = total
        self.n = 0
        self._bar: Any = None
        self._t0 = time.perf_counter()
        self._last_draw = 0.0
        self._width = 0
        if self.enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(desc=label, unit="rec", unit_scale=True, file=self.stream,
                                 mininterval=0.25, total=total)

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
            self._draw(now)

    def _draw(self, now: float) -> None:
        line = progress_line(self.label, self.n, now - self._t0, self.total)
        pad = " " * max(self._width - len(line), 0)
        self._width = len(line)
        self.stream.write(f"\r{line}{pad}")
        self.stream.flush()

    def close(self) -> None:
        """Draws the final count once more and ends the line."""
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.close()
            return
        self._draw(time.perf_counter())
        self.stream.write("\n")
        self.stream.flush()
