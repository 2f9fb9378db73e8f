"""The data engine: bar subscriptions and bar aggregation.

Design contract:
- ``subscribe_bars(instrument_id, aggregation, step, price_type)`` creates one aggregator per
  bar type (shared by every subscriber); it then reacts to the QUOTE or TRADE records of that
  instrument and emits a BAR record each time a bar closes (see :mod:`engines.bars`);
- quote / trade / book subscriptions are the actors' own (they filter what they receive); the
  engine answers ``reacts_to`` only for the instruments it aggregates, so unsubscribed data stays
  on the batch path.
"""

from __future__ import annotations

import json
from typing import Any

from domain.kinds import Kind
from engines.bars import BarAggregator, source_kind
from engines.component import Reactor


class DataEngine(Reactor):
    """Aggregates subscribed bar types from quotes and trades and emits BAR records."""

    handles = (int(Kind.QUOTE), int(Kind.TRADE))

    def __init__(self, component_id: str = "data_engine") -> None:
        super().__init__(component_id)
        self.source_id = 0
        self._aggregators: dict[tuple[int, int, int, int], BarAggregator] = {}
        self._by_source: dict[tuple[int, int], list[BarAggregator]] = {}
        self._ctx: Any = None

    def on_register(self, kernel: Any) -> None:
        kernel.data_engine = self
        self._ctx = kernel.ctx

    def subscribe_bars(self, instrument_id: int, aggregation: int, step: int, price_type: int) -> None:
        """Starts aggregating a bar type (idempotent)."""
        key = (instrument_id, int(aggregation), int(step), int(price_type))
        if key in self._aggregators:
            return
        agg = BarAggregator(*key)
        self._aggregators[key] = agg
        self._by_source.setdefault((source_kind(price_type), instrument_id), []).append(agg)
        if self._ctx is not None:
            self._ctx.reactions_changed()

    def reacts_to(self, kind: int, instrument_id: int) -> bool:
        return (kind, instrument_id) in self._by_source

    def react(self, rec: Any, ctx: Any) -> None:
        aggs = self._by_source.get((rec.kind, rec.instrument_id))
        if aggs is None:
            return
        for agg in aggs:
            bar = agg.update(rec)
            if bar is not None:
                ctx.emit(Kind.BAR, self.source_id, **bar)

    def snapshot(self) -> dict[str, Any]:
        return {"bars": [[list(k), a.state()] for k, a in self._aggregators.items()]}

    def restore(self, doc: dict[str, Any]) -> None:
        self._aggregators.clear()
        self._by_source.clear()
        for key, state in doc["bars"]:
            self.subscribe_bars(*key)
            self._aggregators[tuple(key)].set_state(state)

    def digest(self, h: Any) -> None:
        h.update(json.dumps(self.snapshot()).encode())
