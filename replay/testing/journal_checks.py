"""Whole-journal invariants: functions of a journal path, run after the record pass.

Each returns None when the invariant holds, else ``(seq, message)``.

- ``snapshot_tail``: snapshot at k + replay of k+1..n equals replay of 1..n. The derived state
  (the cache: instruments, market data, books, orders, positions, accounts) is folded to each
  k, snapshotted with ``Cache.snapshot()``, restored into a fresh cache, and both are folded to
  n; their digests must agree. The k are the journal's stored snapshot seqs (at most three), or
  n/3 and 2n/3.
- ``reexecution``: re-executing the INPUT records regenerates every other record
  (:func:`replay.reexecute.reexecute_check`: a kernel built from the run's manifest). A journal
  saved from a stream names no kernel: the check raises :class:`JournalCheckUnavailable`,
  which ``check`` reports as skipped, not as a pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from domain.codec import decode_raw
from domain.digest import blake2b
from engines.cache import Cache
from replay.testing.state import CheckConfig, CheckState


class JournalCheckUnavailable(RuntimeError):
    """A whole-journal check cannot run here (a module it needs is not installed)."""


def _digest(cache: Any) -> bytes:
    h = blake2b(digest_size=8)
    cache.digest(h)
    return h.digest()


def snapshot_tail(path: str | Path, config: CheckConfig | None = None,
                  at_seqs: list[int] | None = None) -> tuple[int, str] | None:
    """Snapshot + tail equals a full replay: the state (instruments, market data, books,
    orders, positions, accounts) folded to seq k, snapshotted, restored into a fresh cache and
    folded on to the end has the same digest as the state folded from seq 1; k are the
    journal's stored snapshot seqs (at most three), else n/3 and 2n/3."""
    from journal.reader import JournalReader
    from journal.snapshots import snapshot_seqs
    from journal.store import Journal

    with Journal.open(path) as journal:
        reader = JournalReader(journal)
        last = reader.last_seq()
        ks = at_seqs or snapshot_seqs(journal)[:3] or [last // 3, 2 * last // 3]
        ks = sorted({k for k in ks if 0 < k < last})
        full = CheckState(config)
        restored: list[tuple[int, Any, Any]] = []  # (k, cache, its handlers)
        for batch in reader.batches(1):
            data = np.ascontiguousarray(batch).tobytes()
            for off in range(0, len(data), 128):
                rec = decode_raw(data, off)
                full.fold(rec)
                for _, _, handlers in restored:
                    handler = handlers.get(rec.kind)
                    if handler is not None:
                        handler(rec, None)
                if ks and rec.seq == ks[0]:
                    doc, arrays = full.cache.snapshot()
                    cache = Cache()
                    cache.restore(doc, arrays)
                    restored.append((ks.pop(0), cache, cache.handlers()))
    want = _digest(full.cache)
    for k, cache, _ in restored:
        if _digest(cache) != want:
            return last, (f"seq {last}: state from the snapshot at seq {k} + the tail differs "
                          f"from the full replay (cache digest {_digest(cache).hex()} != "
                          f"{want.hex()})")
    return None


def reexecution(path: str | Path, config: CheckConfig | None = None) -> tuple[int, str] | None:
    """Re-executing the INPUT records regenerates every other record exactly."""
    try:
        from replay.reexecute import reexecute_check
    except ImportError:
        raise JournalCheckUnavailable(
            "reexecution needs replay.reexecute, which is not installed") from None
    if _saved_stream(path):
        raise JournalCheckUnavailable(
            "the journal is a saved stream (replay.testing.journal_io): it names no kernel to "
            "re-execute")
    outcome = reexecute_check(path, trust_code=config is not None and config.trust_journal_code)
    if outcome.ok:
        return None
    return outcome.seq, f"seq {outcome.seq}: re-execution diverges from the journal: {outcome}"


def _saved_stream(path: str | Path) -> bool:
    from journal.runs import scan_runs
    from journal.store import Journal

    with Journal.open(path) as journal:
        runs = scan_runs(journal)
    from replay.testing.journal_io import SAVED_STREAM_KEY

    return bool(runs) and all(r.manifest is not None and SAVED_STREAM_KEY in r.manifest.config
                              for r in runs)


JOURNAL_CHECKS = {"snapshot_tail": snapshot_tail, "reexecution": reexecution}
