"""The fixed strategy: the sell-side limit check compares with ``-max_position``."""

from __future__ import annotations

from incident_strategy_buggy import MeanReverter as _Buggy


class MeanReverter(_Buggy):
    """The incident's mean reverter with its short-side limit fixed."""

    def can_sell(self, qty: int) -> bool:
        return qty - self.trade_size >= -self.max_position
