"""Synthetic records for tests and benchmarks of the journal (QUOTE records, run markers).

Deterministic: the content is a function of the arguments only.
"""

from __future__ import annotations

import numpy as np

from domain.codec import as_kind, empty
from domain.kinds import Kind


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
