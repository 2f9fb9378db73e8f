"""A worker's data cache: each data file is read once per worker process, then every point the
worker runs streams it from memory.

Design contract:
- an ingested catalog (a directory: :mod:`replay.catalog`) is not cached: it is already read
  at journal speed, from the worker's own page cache;
- keyed by what the file's records depend on: the path, its size and mtime, and the data and
  instrument configs (format, instrument, bar spec, loader options); a changed file is re-read;
- a cached source yields the same records, in the same chunks, as :func:`open_source` would:
  the chunks are stored read-only, so stamping a run's instrument id copies them and no run
  sees another's stamps;
- a file that fails after its first chunk, or whose records exceed the cache's byte budget
  (``RINGBUS_SWEEP_CACHE_MB``, default 1024 per worker), is not cached: it streams from disk
  as in a single backtest, so the run fails or succeeds exactly as it would alone.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from replay.backtest_data import DataSource, open_source
from replay.config import DataConfig, InstrumentConfig


@attrs.frozen
class _Entry:
    source: DataSource  # the first open: metadata and first chunk
    rest: tuple[np.ndarray, ...]
    n_bytes: int


_lock = threading.Lock()
_entries: dict[tuple[Any, ...], _Entry] = {}
_used_bytes = 0
#: files read from disk by this process, by path (a test reads it to see "once per worker")
loads: dict[str, int] = {}


def _budget_bytes() -> int:
    return int(os.environ.get("RINGBUS_SWEEP_CACHE_MB", "1024")) << 20


def _key(cfg: DataConfig, instruments: tuple[InstrumentConfig, ...]) -> tuple[Any, ...] | None:
    try:
        st = Path(cfg.path).stat()
    except OSError:
        return None
    text = json.dumps([attrs.asdict(cfg), [attrs.asdict(i) for i in instruments]],
                      sort_keys=True, default=str)
    return (str(Path(cfg.path).resolve()), st.st_size, st.st_mtime_ns, text)


def _frozen(chunk: np.ndarray) -> np.ndarray:
    chunk = np.array(chunk, copy=True)
    chunk.flags.writeable = False
    return chunk


def open_cached(cfg: DataConfig, instruments: tuple[InstrumentConfig, ...]) -> DataSource:
    """Returns ``cfg``'s data source, from this process's cache when it holds the file (see
    the module contract); a drop-in for :func:`open_source`."""
    global _used_bytes
    key = None if Path(cfg.path).is_dir() else _key(cfg, instruments)
    if key is None:
        return open_source(cfg, instruments)  # a catalog, or fails as a single backtest would
    with _lock:
        entry = _entries.get(key)
        if entry is None:
            entry = _load(cfg, instruments)
            loads[str(cfg.path)] = loads.get(str(cfg.path), 0) + 1
            if entry is None or _used_bytes + entry.n_bytes > _budget_bytes():
                return open_source(cfg, instruments)
            _entries[key] = entry
            _used_bytes += entry.n_bytes
    s = entry.source
    return DataSource(s.path, s.format, s.symbol, s.instrument, s.book_level, s.inferred,
                      s._first, iter(entry.rest))


def _load(cfg: DataConfig, instruments: tuple[InstrumentConfig, ...]) -> _Entry | None:
    source = open_source(cfg, instruments)
    budget = _budget_bytes()
    rest, n_bytes = [], source._first.nbytes
    try:
        for chunk in source._rest:
            rest.append(_frozen(chunk))
            n_bytes += chunk.nbytes
            if n_bytes > budget:
                return None
    except (ValueError, OSError, KeyError):
        return None  # bad rows later in the file: stream it, fail where a single run fails
    first = _frozen(source._first)
    return _Entry(attrs.evolve(source, first=first, rest=iter(())), tuple(rest), n_bytes)


def clear() -> None:
    """Empties this process's cache."""
    global _used_bytes
    with _lock:
        _entries.clear()
        _used_bytes = 0
        loads.clear()
