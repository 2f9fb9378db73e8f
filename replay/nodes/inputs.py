"""Input sources of a node: data files, the INPUT records of a journal, a live inbox + clock.

Design contract:
- a source yields record arrays (RECORD_DTYPE, INPUT-flagged) in ``ts_init`` order; the
  source provides ``ts_init`` (files and journals carry it; the live inbox stamps it from its
  clock), the loop never invents time;
- :class:`FileInputs`: the data files of a backtest merged by ``ts_init``
  (:func:`replay.sources.merge`), streamed chunk by chunk; ``skip(n)`` drops the first ``n``
  records (where a recovered run resumes past its journal's end);
- :class:`JournalInputs`: the INPUT records of ``first_seq..last_seq`` of a journal, read one
  stored batch at a time (bounded memory whatever the lineage's length); :class:`InputCursor`
  takes prefixes of such a stream (the manifest, the setup up to NODE_STARTED);
- :class:`LiveInbox`: producers on any thread ``push`` records; each is stamped with the
  clock's time, never earlier than anything stamped or handed out before; the node thread
  ``take``s everything queued with the *horizon* (the clock's time at the take, after every
  stamp handed out): the node publishes the records, then the timers due by the horizon; an
  empty inbox is first polled by its :class:`replay.nodes.wait.WaitStrategy` (``blocking``:
  not at all), then waited on;
- :func:`data_inputs` counts the data records of a stream (inputs that are not run-lifecycle
  control records): the resume point a node snapshot stores.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Protocol

import numpy as np

from domain.enums import RecordFlag
from domain.kinds import RECORD_DTYPE, Kind
from engines.exchange.bar_path import bar_quote_stream
from journal.reader import JournalReader
from replay.backtest_data import DataSource
from replay.nodes.wait import WaitStrategy
from replay.sources import merge

INPUT = int(RecordFlag.INPUT)
#: pushes of up to this many records are stamped with ``struct`` (numpy's field writes cost
#: more than the push for one record: a producer thread's CPU at 10 k quotes/s)
_SMALL_PUSH = 16
_RECORD_SIZE = RECORD_DTYPE.itemsize
_TS_AT, _FLAGS_AT = RECORD_DTYPE.fields["ts_init"][1], RECORD_DTYPE.fields["flags"][1]
_I8, _U2 = struct.Struct("<q"), struct.Struct("<H")
#: Inputs that are a node's own control records, not data from its sources.
CONTROL_KINDS = np.array([int(Kind.STRING), int(Kind.RUN_STARTED), int(Kind.RUN_ENDED),
                          int(Kind.RUN_RECOVERED), int(Kind.NODE_STARTED),
                          int(Kind.HEARTBEAT), int(Kind.FAILOVER)], dtype=np.uint16)


#: Control inputs a journal's stream publishes at their own seq. A HEARTBEAT is not one of them:
#: it goes through the loop by its ``ts_init`` as the live take that journaled it did, so the
#: timers due before it fire first in a re-execution too.
#: (``np.setdiff1d`` would import numpy.ma at start-up, through ``np.unique``)
SEQ_KINDS = np.sort(CONTROL_KINDS[np.not_equal(CONTROL_KINDS, int(Kind.HEARTBEAT))])


def loop_mask(records: np.ndarray) -> np.ndarray:
    """Returns, per record, whether the loop publishes it (not at a seq of its own)."""
    return ~np.isin(records["kind"], SEQ_KINDS)


def data_mask(records: np.ndarray) -> np.ndarray:
    """Returns, per record, whether it is a data input (not a control record)."""
    return ~np.isin(records["kind"], CONTROL_KINDS)


def data_inputs(records: np.ndarray) -> int:
    """Returns how many of ``records`` are data inputs."""
    return int(np.count_nonzero(data_mask(records)))


def skip_records(chunks: Iterable[np.ndarray], n: int) -> Iterator[np.ndarray]:
    """Yields ``chunks`` without their first ``n`` records."""
    for chunk in chunks:
        if n >= len(chunk):
            n -= len(chunk)
            continue
        yield chunk[n:] if n else chunk
        n = 0


class FileInputs:
    """The data files of a backtest, merged by ts_init (see the module contract)."""

    def __init__(self, sources: list[DataSource], instrument_ids: dict[str, int], *,
                 bar_execution: bool = False) -> None:
        self.sources = sources
        self.instrument_ids = instrument_ids
        #: bar-only data: each bar becomes its price path of quotes
        #: (:func:`engines.exchange.bar_path.bar_quote_stream`), which is what the journal holds
        self.bar_execution = bar_execution

    def chunks(self, skip: int = 0) -> Iterator[np.ndarray]:
        """Yields the merged records (bars as their quote paths under bar execution), without
        the first ``skip``."""
        merged = merge([s.chunks(self.instrument_ids[s.symbol]) for s in self.sources])
        if self.bar_execution:
            merged = bar_quote_stream(merged)
        return skip_records(merged, skip) if skip else merged


class JournalInputs:
    """The INPUT records of a journal's seq range, streamed (see the module contract)."""

    def __init__(self, reader: JournalReader, first_seq: int, last_seq: int) -> None:
        self.reader = reader
        self.first_seq = first_seq
        self.last_seq = last_seq

    def chunks(self) -> Iterator[np.ndarray]:
        if self.last_seq < self.first_seq:
            return
        for batch in self.reader.batches(self.first_seq, self.last_seq):
            inputs = batch[(batch["flags"] & INPUT) != 0]
            if len(inputs):
                yield np.ascontiguousarray(inputs)


class InputCursor:
    """Takes prefixes of a stream of record chunks, then yields the rest."""

    def __init__(self, chunks: Iterable[np.ndarray]) -> None:
        self._it = iter(chunks)
        self._buf = np.zeros(0, dtype=RECORD_DTYPE)

    def _fill(self) -> bool:
        for chunk in self._it:
            if len(chunk):
                self._buf = np.concatenate([self._buf, chunk]) if len(self._buf) else chunk
                return True
        return False

    def take(self, n: int) -> np.ndarray:
        """Returns the next ``n`` records (fewer at the end of the stream)."""
        while len(self._buf) < n and self._fill():
            pass
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def take_until(self, kind: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Returns (the records before the next one of ``kind``, that record or None at the
        end of the stream); the record of ``kind`` is consumed."""
        parts = []
        while True:
            hits = np.flatnonzero(self._buf["kind"] == kind)
            if len(hits):
                i = int(hits[0])
                parts.append(self._buf[:i])
                found, self._buf = self._buf[i : i + 1], self._buf[i + 1 :]
                return _join(parts), found
            parts.append(self._buf)
            self._buf = np.zeros(0, dtype=RECORD_DTYPE)
            if not self._fill():
                return _join(parts), None

    def rest(self) -> Iterator[np.ndarray]:
        """Yields every record not taken."""
        if len(self._buf):
            yield self._buf
            self._buf = np.zeros(0, dtype=RECORD_DTYPE)
        yield from self._it


def _join(parts: list[np.ndarray]) -> np.ndarray:
    parts = [p for p in parts if len(p)]
    if not parts:
        return np.zeros(0, dtype=RECORD_DTYPE)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


class Clock(Protocol):
    """A source of time for a live node (ns since the epoch)."""

    def now_ns(self) -> int: ...


class WallClock:
    """The machine's clock: only ever read by a live node's inbox, never inside the kernel."""

    def now_ns(self) -> int:
        return time.time_ns()


class ManualClock:
    """A clock moved by hand (tests, sandboxes): thread-safe."""

    def __init__(self, start_ns: int) -> None:
        self._now = start_ns
        self._lock = threading.Lock()

    def now_ns(self) -> int:
        with self._lock:
            return self._now

    def advance(self, ns: int) -> int:
        """Moves the clock ``ns`` forward; returns the new time."""
        if ns < 0:
            raise ValueError(f"a clock moves forward only, got advance({ns})")
        with self._lock:
            self._now += ns
            return self._now


class LiveInbox:
    """Records pushed by producer threads, stamped by ``clock`` (see the module contract)."""

    def __init__(self, clock: Clock, wait: WaitStrategy | None = None) -> None:
        self.clock = clock
        self.wait = wait or WaitStrategy()
        self._cond = threading.Condition()
        self._queue: list[np.ndarray] = []
        self._last = 0  # no stamp below this: the last stamp or the last horizon handed out
        self._closed = False
        self._drained = False  # the last take after close handed out the final horizon

    def push(self, records: np.ndarray) -> None:
        """Queues copies of ``records`` (INPUT-flagged, ts_init stamped now); any thread."""
        n = records.size
        if n > _SMALL_PUSH or records.dtype.itemsize != _RECORD_SIZE:
            self._push_array(np.ascontiguousarray(records).reshape(-1).view(RECORD_DTYPE).copy())
            return
        buf = bytearray(records.tobytes())  # the copy; a few records: struct, not numpy
        for off in range(_FLAGS_AT, n * _RECORD_SIZE, _RECORD_SIZE):
            _U2.pack_into(buf, off, _U2.unpack_from(buf, off)[0] | INPUT)
        with self._cond:
            if self._closed:
                raise RuntimeError("push to a closed inbox")
            self._last = stamp = max(self._last, self.clock.now_ns())
            for off in range(_TS_AT, n * _RECORD_SIZE, _RECORD_SIZE):
                _I8.pack_into(buf, off, stamp)
            self._queue.append(np.frombuffer(buf, dtype=RECORD_DTYPE))
            self._cond.notify()

    def _push_array(self, recs: np.ndarray) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError("push to a closed inbox")
            self._last = max(self._last, self.clock.now_ns())
            recs["ts_init"] = self._last
            recs["flags"] |= INPUT
            self._queue.append(recs)
            self._cond.notify()

    def not_before(self, ts_ns: int) -> None:
        """No stamp or horizon below ``ts_ns`` from now on (a node resuming a journal)."""
        with self._cond:
            self._last = max(self._last, ts_ns)

    def close(self) -> None:
        """No more pushes: ``take`` returns None once the queue is empty."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def take(self, timeout_s: float) -> tuple[np.ndarray, int] | None:
        """Waits up to ``timeout_s`` for records; returns (records queued, possibly none, the
        horizon), or None once the inbox is closed and empty and its final horizon (the clock
        at the first take after the close) was handed out."""
        if not self._queue and self.wait.spin_ns:
            self.wait.spin(self._queued)
        with self._cond:
            if not self._queue and not self._closed:
                self._cond.wait(timeout_s)
            if not self._queue and self._closed:
                if self._drained:
                    return None
                self._drained = True
            queued, self._queue = self._queue, []
            self._last = horizon = max(self._last, self.clock.now_ns())
        if len(queued) == 1:  # the usual live take: one push (already a private copy)
            return queued[0], horizon
        if not queued:
            return np.zeros(0, dtype=RECORD_DTYPE), horizon
        # joined as bytes: np.concatenate of structured arrays promotes their fields per call
        return np.concatenate([q.view(np.uint8) for q in queued]).view(RECORD_DTYPE), horizon

    def _queued(self) -> bool:
        # read without the lock (one attribute load under the GIL): a hint for the spin only;
        # the take itself decides under the lock
        return bool(self._queue) or self._closed
