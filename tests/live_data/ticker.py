"""A timer-driven test strategy (importable by ``ringbus verify --reexecute
--trust-journal-code``): a timer every ``interval_ms``, counted."""

from __future__ import annotations

from engines.strategy import Strategy


class Ticker(Strategy):
    """Sets timer ``tick`` every ``interval_ms`` at start; counts its fires."""

    def __init__(self, interval_ms: int = 100, component_id: str = "ticker") -> None:
        super().__init__(component_id)
        self.interval_ms = int(interval_ms)
        self.fired = 0

    def on_start(self) -> None:
        self.clock.set_timer("tick", self.interval_ms * 1_000_000)

    def on_timer(self, name: str, ts_event: int) -> None:
        self.fired += 1
