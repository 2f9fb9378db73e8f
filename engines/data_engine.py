"""The data engine: bar subscriptions and bar aggregation.

Design contract:
- ``subscribe_bars(instrument_id, aggregation, step, price_type)`` creates one aggregator per
  bar type (shared by every subscriber); it then reacts to the QUOTE or TRADE records of that
  instrument and emits a BAR record each time a bar closes (see :mod:`engines.bars`);
- external bars win: when an INPUT BAR record of a bar type it aggregates arrives, the engine
  stops aggregating that type (the data has it), so a subscriber gets each bar once; bars it
  aggregates itself carry no INPUT flag;
- quote / trade / book subscriptions are the actors' own (they filter what they receive); the
  engine answers ``reacts_to`` only for the instruments it aggregates, so unsubscribed data stays
  on the batch path.
"""

from __future__ import annotations

import json
from typing import Any

from domain.enums import RecordFlag
from domain.kinds import Kind
from engines.bars import BarAggregator, source_kind
from engines.component import Reactor

_INPUT = int(RecordFlag.INPUT)


class DataEngine(Reactor):
    """Aggregates subscribed bar types from quotes and trades and emits BAR records."""

    handles = (int(Kind.QUOTE), int(Kind.TRADE), int(Kind.BAR))

    def __init__(self, component_id: str = "data_engine") -> None:
        super().__init__(component_id)
        self.source_id = 0
        self._aggregators: dict[tuple[int, int, int, int], BarAggregator] = {}
        self._by_source: dict[tuple[int, int], list[BarAggregator]] = {}
        #: Bar types the data holds as external (INPUT) BAR records: never aggregated.
        self.external: set[tuple[int, int, int, int]] = set()
        self._ctx: Any = None

    def on_register(self, kernel: Any) -> None:
        kernel.data_engine = self
        self._ctx = kernel.ctx

    def subscribe_bars(self, instrument_id: int, aggregation: int, step: int, price_type: int) -> None:
        """Starts aggregating a bar type (idempotent)."""
        key = (instrument_id, int(aggregation), int(step), int(price_type))
        if key in self._aggregators or key in self.external:
            return
        agg = BarAggregator(*key)
        self._aggregators[key] = agg
        self._by_source.setdefault((source_kind(price_type), instrument_id), []).append(agg)
        if self._ctx is not None:
            self._ctx.reactions_changed()

    def reacts_to(self, kind: int, instrument_id: int) -> bool:
        if kind == Kind.BAR:
            return any(k[0] == instrument_id for k in self._aggregators)
        return (kind, instrument_id) in self._by_source

    def react(self, rec: Any, ctx: Any) -> None:
        if rec.kind == Kind.BAR:
            if rec.flags & _INPUT:
                self._external(rec, ctx)
            return
        aggs = self._by_source.get((rec.kind, rec.instrument_id))
        if aggs is None:
            return
        for agg in aggs:
            bar = agg.update(rec)
            if bar is not None:
                ctx.emit(Kind.BAR, self.source_id, **bar)

    def _external(self, rec: Any, ctx: Any) -> None:
        """An external bar of a type this engine aggregates: the data has that bar type, so it
        is delivered as loaded and no longer aggregated (a bar type is delivered once)."""
        key = (rec.instrument_id, rec.aggregation, rec.step, rec.price_type)
        agg = self._aggregators.pop(key, None)
        if agg is None:
            return
        self.external.add(key)
        aggs = self._by_source[(source_kind(key[3]), key[0])]
        aggs.remove(agg)
        if not aggs:
            del self._by_source[(source_kind(key[3]), key[0])]
        ctx.reactions_changed()

    def snapshot(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "bars": [[list(k), a.state()] for k, a in self._aggregators.items()]}
        if self.external:
            doc["external"] = sorted(list(k) for k in self.external)
        return doc

    def restore(self, doc: dict[str, Any]) -> None:
        self._aggregators.clear()
        self._by_source.clear()
        self.external = {tuple(k) for k in doc.get("external", ())}  # type: ignore[misc]
        for key, state in doc["bars"]:
            self.subscribe_bars(*key)
            self._aggregators[tuple(key)].set_state(state)

    def digest(self, h: Any) -> None:
        h.update(json.dumps(self.snapshot()).encode())
