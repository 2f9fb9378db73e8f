"""The components of a node's kernel, registered in their defined order.

Design contract:
- :func:`assemble` registers ``state`` (equity sampler, run recorder, cache), then the data
  engine, risk engine, execution engine, one simulated exchange per venue (name order), the
  strategies in the given order, then a liquidator per venue that liquidates on a margin call: the order is part of the log (component ids are interned
  in it), so every node of a run builds the same kernel;
- :func:`book_levels` streams a journal's INPUT records once (bounded memory) for the highest
  BOOK_DELTA level per venue: what a backtest infers from its data files.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from domain.codec import as_kind
from domain.enums import BookLevel, RecordFlag
from domain.kinds import Kind
from engines.data_engine import DataEngine
from engines.execution import ExecutionEngine
from engines.kernel import Kernel
from engines.liquidator import Liquidator
from engines.portfolio import Portfolio
from engines.risk import RiskEngine
from engines.risk_checks import RiskConfig
from engines.strategy import Strategy
from journal.reader import JournalReader
from replay.backtest_setup import account_name, make_exchange, register_execution, register_state
from replay.config import BacktestConfig, ConfigError, VenueConfig
from replay.nodes.offline import OfflineVenue

INPUT = int(RecordFlag.INPUT)


def risk_config(values: dict[str, Any], venues: list[VenueConfig] | tuple[()] = ()
                ) -> RiskConfig:
    """Returns the risk engine's config: the ``[risk]`` table, plus the venues' short-selling
    instruments (``short_selling``); ConfigError naming the field."""
    values = dict(values)
    shortable = sorted({s for v in venues for s in v.short_selling})
    if shortable:
        values["short_selling"] = frozenset([*values.get("short_selling", ()), *shortable])
    if isinstance(values.get("max_submit_rate"), list):
        values["max_submit_rate"] = tuple(values["max_submit_rate"])
    try:
        return RiskConfig(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"risk: {exc}") from None


def assemble(kernel: Kernel, config: BacktestConfig, venues: list[VenueConfig],
             levels: dict[str, int], strategies: list[Strategy],
             external: Mapping[str, Any] | None = None) -> tuple[Any, Any, Any]:
    """Registers a node kernel's components in their defined order; returns (equity sampler,
    run recorder, cache). ``levels`` maps venue name -> book level of its exchange. A venue
    configured ``external`` gets no simulated exchange but the external client ``external``
    names for it (the live node's venue adapter), else an :class:`OfflineVenue` (re-execution,
    recovery checks: its events are journaled inputs, nothing is sent)."""
    sampler, recorder, cache = register_state(kernel, venues[0], config.equity_interval_ns)
    kernel.register(DataEngine())
    execution = ExecutionEngine()
    kernel.register(RiskEngine(execution, risk_config(config.risk, venues)))
    register_execution(kernel, execution)
    for venue in venues:
        if venue.external:
            client = (external or {}).get(venue.name) or OfflineVenue(venue.name, kernel)
            kernel.register_external_client(client)
            continue
        kernel.register(make_exchange(venue, BookLevel(levels.get(venue.name, 1)), config.seed))
    kernel.ctx.portfolio = Portfolio(cache)
    for strategy in strategies:
        kernel.register(strategy)
    for venue in venues:
        if venue.liquidate_on_margin_call:
            kernel.register(Liquidator(account_name(venue), venue.name))
    return sampler, recorder, cache


def book_levels(reader: JournalReader, first_seq: int, last_seq: int,
                symbols: dict[int, str]) -> dict[str, int]:
    """Returns venue -> highest BOOK_DELTA level among the INPUT records of ``first_seq..
    last_seq`` (L1 when there is none), reading one stored batch at a time."""
    pairs: set[tuple[int, int]] = set()
    for batch in reader.batches(first_seq, last_seq):
        deltas = batch[(batch["kind"] == Kind.BOOK_DELTA) & ((batch["flags"] & INPUT) != 0)]
        if len(deltas):
            typed = as_kind(deltas, Kind.BOOK_DELTA)
            found = np.unique(np.stack([typed["instrument_id"].astype(np.int64),
                                        typed["level"].astype(np.int64)], axis=1), axis=0)
            pairs.update((int(a), int(b)) for a, b in found.tolist())
    out: dict[str, int] = {}
    for iid, level in sorted(pairs):
        venue = symbols.get(iid, "").rpartition(".")[2]
        out[venue] = max(out.get(venue, 1), level)
    return out
