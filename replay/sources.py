"""Sources of INPUT records, and their merge by ts_init.

Design contract:
- a source is an iterable of record arrays (RECORD_DTYPE-sized), each sorted by ``ts_init``
  and continuing where the previous ended; a source that goes back in time is refused with
  :class:`SourceOrderError` naming the source, its record index and both timestamps;
- :func:`merge` yields chunks (at most ``chunk_records`` records) sorted by ``ts_init``; records
  with equal ``ts_init`` keep source order (source 0 first), then their order within the source;
- records are passed through unchanged (flags included: sources set INPUT);
- a source that raises (bad data in a later chunk) does not lose what it delivered before: every
  buffered record up to the last ts_init that source delivered is yielded, then its error is
  raised.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from domain.kinds import RECORD_DTYPE
from engines.routing import ROW, take_rows


class SourceOrderError(ValueError):
    """A source's ts_init decreased."""


def first_backwards(last_ns: int | None, ts: np.ndarray) -> tuple[int, int] | None:
    """Returns (index, the time before it) of the first of ``ts`` earlier than the one before it
    (``last_ns`` before the first; None: nothing before), or None when ``ts`` never goes back."""
    if not ts.size:
        return None
    if last_ns is not None and int(ts[0]) < last_ns:
        return 0, last_ns
    bad = np.flatnonzero(ts[1:] < ts[:-1])
    return (int(bad[0]) + 1, int(ts[bad[0]])) if bad.size else None


class _Cursor:
    def __init__(self, index: int, chunks: Iterable[np.ndarray]) -> None:
        self.index = index
        self._it = iter(chunks)
        self.buf = np.empty(0, dtype=RECORD_DTYPE)
        self.done = False
        self.consumed = 0
        self._last_ts: int | None = None
        self.error: BaseException | None = None

    def load_or_fail(self) -> bool:
        """Like :meth:`load`, but an error of the source ends it and is kept in ``error``."""
        try:
            return self.load()
        except Exception as exc:  # re-raised by merge after flushing what came before it
            self.error, self.done = exc, True
            return False

    def load(self) -> bool:
        """Appends the next chunk to the buffer; returns False when the source is exhausted."""
        for chunk in self._it:
            arr = np.ascontiguousarray(chunk).view(RECORD_DTYPE)
            if len(arr) == 0:
                continue
            ts = arr["ts_init"]
            back = first_backwards(self._last_ts, ts)
            if back is not None:
                self._fail(back[0], back[1], int(ts[back[0]]))
            self._last_ts = int(ts[-1])
            # joined as whole 128-byte rows: numpy copies a structured array field by field
            self.buf = np.concatenate([self.buf.view(ROW), arr.view(ROW)]).view(
                RECORD_DTYPE) if len(self.buf) else arr
            return True
        self.done = True
        return False

    def _fail(self, at: int, before: int, after: int) -> None:
        index = self.consumed + len(self.buf) + at
        raise SourceOrderError(
            f"source {self.index}: record {index} has ts_init {after}, before the previous "
            f"record's {before}"
        )

    def take(self, n: int) -> np.ndarray:
        part, self.buf = self.buf[:n], self.buf[n:]
        self.consumed += n
        return part


def merge(sources: list[Iterable[np.ndarray]], chunk_records: int = 65536) -> Iterator[np.ndarray]:
    """Yields the records of every source merged by ts_init (stable: source order on ties)."""
    if chunk_records < 1:
        raise ValueError(f"chunk_records must be >= 1, got {chunk_records}")
    cursors = [_Cursor(i, s) for i, s in enumerate(sources)]
    for c in cursors:
        c.load_or_fail()
    while True:
        failed = next((c for c in cursors if c.error is not None), None)
        if failed is not None:
            yield from _flush(cursors, failed, chunk_records)
            raise failed.error
        live = [c for c in cursors if len(c.buf) or not c.done]
        if not live:
            return
        for c in live:
            if not len(c.buf) and not c.done:
                c.load_or_fail()
        if any(c.error is not None for c in live):
            continue
        # a sole live source has no other one to interleave with: its whole buffer can go
        limits = [int(c.buf["ts_init"][-1]) for c in live if not c.done and len(c.buf)]
        horizon = min(limits) if limits and len(live) > 1 else None
        parts = []
        for c in live:
            if not len(c.buf):
                continue
            k = len(c.buf) if horizon is None else int(
                np.searchsorted(c.buf["ts_init"], horizon, side="left"))
            if k:
                parts.append(c.take(k))
        if not parts:
            # Every buffer holds only records at the horizon: read further in the sources that
            # stop there, so ties are resolved with everything each source has at that time.
            for c in live:
                if not c.done and len(c.buf) and int(c.buf["ts_init"][-1]) == horizon:
                    c.load_or_fail()
            continue
        yield from _merged(parts, chunk_records)


def _merged(parts: list[np.ndarray], chunk_records: int) -> Iterator[np.ndarray]:
    """Yields ``parts`` (in source order) merged by ts_init, stable, in bounded chunks."""
    merged = parts[0]
    if len(parts) > 1:  # as whole 128-byte rows (numpy copies structured arrays field by field)
        merged = np.concatenate([p.view(ROW) for p in parts]).view(RECORD_DTYPE)
        merged = take_rows(merged, np.argsort(merged["ts_init"], kind="stable"))
    for lo in range(0, len(merged), chunk_records):
        yield merged[lo : lo + chunk_records]


def _flush(cursors: list[_Cursor], failed: _Cursor, chunk_records: int) -> Iterator[np.ndarray]:
    """Yields, merged, every buffered record up to the last ts_init ``failed`` delivered."""
    limit = failed._last_ts
    if limit is None:
        return
    parts = [c.take(int(np.searchsorted(c.buf["ts_init"], limit, side="right")))
             for c in cursors if len(c.buf)]
    parts = [p for p in parts if len(p)]
    if parts:
        yield from _merged(parts, chunk_records)
