"""Synthetic records for tests and benchmarks of the journal (QUOTE records, run markers).

Deterministic: the content is a function of the arguments only.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from domain.codec import as_kind, empty, encode
from domain.enums import RunEndReason
from domain.kinds import Kind
from journal.runs import RunManifest


def quote_records(first_seq: int, n: int, ts0_ns: int = 1_700_000_000_000_000_000,
                  step_ns: int = 1_000) -> np.ndarray:
    """Returns ``n`` QUOTE records with seq ``first_seq..first_seq+n-1`` and rising ts_init."""
    records = empty(Kind.QUOTE, n)
    seqs = np.arange(first_seq, first_seq + n, dtype=np.uint64)
    records["seq"] = seqs
    ts = ts0_ns + (seqs.astype(np.int64) - 1) * step_ns
    records["ts_init"] = ts
    records["ts_event"] = ts - 500
    records["flags"] = 1
    typed = as_kind(records, Kind.QUOTE)
    typed["instrument_id"] = 1
    typed["price_precision"] = 2
    typed["size_precision"] = 0
    wiggle = (seqs % 97).astype(np.int64)
    typed["bid"] = 10_000 + wiggle
    typed["ask"] = 10_001 + wiggle
    typed["bid_size"] = 1 + (seqs % 13).astype(np.int64)
    typed["ask_size"] = 2 + (seqs % 11).astype(np.int64)
    return records


def with_seq(records: np.ndarray, first_seq: int, ts_init_ns: int) -> np.ndarray:
    """Returns a copy of ``records`` renumbered from ``first_seq`` with all ts_init set to
    ``ts_init_ns`` (for control records spliced into a stream)."""
    out = records.copy()
    out["seq"] = np.arange(first_seq, first_seq + len(out), dtype=np.uint64)
    out["ts_init"] = ts_init_ns
    out["ts_event"] = ts_init_ns
    return out


def run_started(manifest: RunManifest, first_seq: int, ts_init_ns: int,
                manifest_string_id: int = 1) -> np.ndarray:
    """Returns RUN_STARTED + manifest STRING records numbered from ``first_seq``."""
    return with_seq(manifest.to_records(manifest_string_id), first_seq, ts_init_ns)


def run_ended(run_id: int, seq: int, ts_init_ns: int, n_records: int = 0) -> np.ndarray:
    """Returns one RUN_ENDED record (reason CLEAN)."""
    return encode(Kind.RUN_ENDED, seq=seq, ts_init=ts_init_ns, ts_event=ts_init_ns,
                  run_id=run_id, n_records=n_records, reason=int(RunEndReason.CLEAN))


def run_recovered(crashed_run_id: int, seq: int, ts_init_ns: int, last_seq: int) -> np.ndarray:
    """Returns one RUN_RECOVERED record naming ``crashed_run_id``."""
    return encode(Kind.RUN_RECOVERED, seq=seq, ts_init=ts_init_ns, ts_event=ts_init_ns,
                  crashed_run_id=crashed_run_id, last_seq=last_seq)


def write_quotes(path: str | os.PathLike[str], n: int, chunk: int = 1000,
                 durability: str = "none", **writer_options: Any) -> np.ndarray:
    """Writes ``n`` QUOTE records (continuing the journal) in ``chunk``-sized calls, flushing
    after each; returns what was written."""
    from journal.writer import JournalWriter

    with JournalWriter(path, durability, **writer_options) as writer:
        records = quote_records(writer.next_seq, n)
        for i in range(0, n, chunk):
            writer.on_batch(records[i : i + chunk])
            writer.flush()
    return records
