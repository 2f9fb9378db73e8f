"""Support of the sweep tests: a slice of the real EUR/USD quotes, and strategies that fail on
purpose (workers import them by ``module:Class``)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from engines.strategies.ema_cross import EmaCross


class RaiseAt(EmaCross):
    """``ema_cross`` that raises on its ``at``-th quote when ``fail`` is true."""

    def __init__(self, fail: bool = False, at: int = 500, **kw: Any) -> None:
        super().__init__(**kw)
        self.fail, self.at, self.seen = bool(fail), int(at), 0

    def on_quote(self, quote: Any) -> None:
        self.seen += 1
        if self.fail and self.seen == self.at:
            raise RuntimeError(f"strategy bug at quote {self.seen}")
        super().on_quote(quote)


class BlockOnce(EmaCross):
    """``ema_cross`` that, the first time any process reaches its ``at``-th quote, writes its
    pid to ``marker`` and waits there (up to a minute) to be killed; later runs go straight on.

    Waiting on the wall clock changes no record: the run's journal is the plain ema_cross one."""

    def __init__(self, marker: str = "", at: int = 1500, **kw: Any) -> None:
        super().__init__(**kw)
        self.marker, self.at, self.seen = marker, int(at), 0

    def on_quote(self, quote: Any) -> None:
        self.seen += 1
        if self.seen == self.at and self.marker:
            try:
                fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                pass
            else:
                os.write(fd, str(os.getpid()).encode())
                os.close(fd)
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    time.sleep(0.05)
        super().on_quote(quote)

    def on_save(self) -> dict[str, Any]:
        return {**super().on_save(), "seen": self.seen}

    def on_load(self, state: dict[str, Any]) -> None:
        super().on_load(state)
        self.seen = state["seen"]


def quotes_slice(shared_data: Path, rows: int, folder: Path) -> Path:
    """Writes the first ``rows`` quotes of ``quote_tick_data.csv`` into ``folder``; returns it."""
    lines = (shared_data / "quote_tick_data.csv").read_text().splitlines()[:rows]
    path = folder / "eurusd-quotes.csv"
    path.write_text("\n".join(lines) + "\n")
    return path
