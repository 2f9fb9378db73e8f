"""The record node (``ringbus record``): live market data journaled with no strategies.

Design contract:
- the journal holds RUN_STARTED + the manifest (``{"node": "record", "feeds": <the feeds
  table>}``), one STRING per instrument (``SYMBOL.BINANCE``; the records' ``instrument_id`` is
  that string's id), then the adapter's INPUT records as they arrive, then RUN_ENDED (CLEAN);
- ``ts_init`` is the receipt time from ``clock`` (ns), never going backwards (a clock step back
  is held at the last value); each adapter batch is one journal commit;
- a recorded journal is backtest data: ``ringbus backtest --data JOURNAL`` reads its
  market-data INPUT records (:mod:`replay.journal_source`);
- the run ends when ``stop`` is set (``ringbus record``: SIGINT / SIGTERM or ``--seconds``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from adapters.binance import BinanceDataConfig, BinanceMarketData
from domain.strings import StringTable
from journal.runs import RunManifest
from journal.synth import run_ended
from journal.writer import JournalWriter

VENUE = "BINANCE"


@attrs.frozen
class RecordRun:
    """What a recording wrote."""

    journal: str
    run_id: int
    first_seq: int
    last_seq: int
    n_inputs: int
    resyncs: int


def binance_config(feeds: dict[str, Any], strings: StringTable
                   ) -> tuple[BinanceDataConfig, np.ndarray]:
    """The adapter config of the feeds table's ``[binance]`` and the STRING records of its
    instruments; a symbol table holds ``symbol``, ``price_precision``, ``size_precision``."""
    if "binance" not in feeds:
        raise ValueError(f"feeds config: no [binance] table (tables: {sorted(feeds)})")
    table = dict(feeds["binance"])
    symbols, parts = [], []
    for s in table.pop("symbols", []):
        extra = set(s) - {"symbol", "price_precision", "size_precision"}
        if extra:
            raise ValueError(f"feeds config: binance symbol {s.get('symbol')!r}: unknown keys "
                             f"{sorted(extra)}")
        iid, recs = strings.intern(f"{s['symbol']}.{VENUE}")
        if recs is not None:
            parts.append(recs)
        symbols.append({**s, "instrument_id": iid})
    cfg = BinanceDataConfig.from_dict({**table, "symbols": symbols})
    return cfg, (np.concatenate(parts) if parts else np.zeros(0, np.dtype((np.void, 128))))


class RecordNode:
    """Journals the live market data of ``feeds`` into ``journal``."""

    def __init__(self, feeds: dict[str, Any], journal: str | Path, *,
                 clock: Callable[[], int] = time.time_ns, durability: str = "sync") -> None:
        self.feeds, self.path, self.clock = feeds, Path(journal), clock
        self.durability = durability
        self.manifest = RunManifest(config={"node": "record", "feeds": feeds})
        self.strings = StringTable()
        manifest_id = self.strings.intern(self.manifest.to_json())[0]
        self.config, self._string_records = binance_config(feeds, self.strings)
        self._setup = np.concatenate([self.manifest.to_records(manifest_id),
                                      self._string_records])
        self._writer: JournalWriter | None = None
        self._last_ts = 0
        self.n_inputs = 0

    def _now(self) -> int:
        self._last_ts = max(self._last_ts, int(self.clock()))
        return self._last_ts

    def _write(self, records: np.ndarray) -> None:
        assert self._writer is not None
        out = records.copy()
        out["seq"] = np.arange(self._writer.next_seq, self._writer.next_seq + len(out),
                               dtype=np.uint64)
        self._writer.on_batch(out)
        self._writer.flush()

    def _sink(self, records: np.ndarray) -> None:
        self.n_inputs += len(records)
        self._write(records)

    async def run(self, stop: asyncio.Event) -> RecordRun:
        """Records until ``stop`` is set; returns what was written."""
        self._writer = JournalWriter(self.path, self.durability)
        try:
            first_seq = self._writer.next_seq
            setup = self._setup.copy()
            setup["ts_init"] = setup["ts_event"] = self._now()
            self._write(setup)
            adapter = BinanceMarketData(self.config, self._sink, clock=self._now)
            await adapter.run(stop)
            seq = self._writer.next_seq
            self._write(run_ended(self.manifest.run_id, seq, self._now(), seq - first_seq + 1))
            resyncs = sum(s.resyncs for s in adapter.syncs.values())
            return RecordRun(str(self.path), self.manifest.run_id, first_seq, seq,
                             self.n_inputs, resyncs)
        finally:
            self._writer.close()
