"""A ring consumer that fans records out to message-bus subscribers by topic.

Design contract:
- ``topic_key(batch)`` maps a batch to one integer key per record (vectorized numpy);
  ``topic_name(key)`` names the topic of a key (called once per key, then cached);
- records are delivered in seq order, each to the handlers of its topic (priority, then
  subscription order) before the next record (or run of same-topic records) is delivered;
- handlers are looked up per batch (or per run of one topic): a (un)subscribe made by a handler
  during a batch is guaranteed to apply from the next batch;
- with ``fields`` given, each handler is called once per record with a tuple of those fields'
  values as Python ints/floats (columns taken with ``.tolist()``; no per-record numpy objects);
  with ``fields=None`` each handler is called once per run with the run's structured view of
  the ring (valid only during the call);
- ``dtype_of(key)`` (optional) gives the dtype the run is read as (e.g. the kind's dtype), so
  fields of a kind-specific payload can be named.

Hot path measured by ``perf/bus_fanout.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from domain.kinds import KIND_DTYPES, LAYOUTS
from domain.schema import HEADER_SIZE
from ringbus.bus import MessageBus


class RecordRouter:
    """Batch handler publishing each record (or run of records) to the bus by a derived topic."""

    def __init__(
        self,
        bus: MessageBus,
        topic_key: Callable[[np.ndarray], np.ndarray],
        topic_name: Callable[[int], str],
        fields: Iterable[str] | None = None,
        dtype_of: Callable[[int], np.dtype] | None = None,
    ) -> None:
        self.bus = bus
        self.fields: tuple[str, ...] | None = None if fields is None else tuple(fields)
        self._topic_key = topic_key
        self._topic_name = topic_name
        self._dtype_of = dtype_of
        self._names: dict[int, str] = {}
        self._dtypes: dict[int, np.dtype] = {}

    def on_batch(self, batch: np.ndarray) -> None:
        """Delivers ``batch`` to the subscribers of each record's topic, in seq order."""
        keys = self._topic_key(batch)
        n = len(keys)
        if n == 0:
            return
        if keys[0] == keys[-1] and (n < 3 or not (keys != keys[0]).any()):
            self._deliver(int(keys[0]), batch)
            return
        if self.fields is not None:
            key_list = keys.tolist()
            distinct = sorted(set(key_list))
            dtypes = {self._dtype(k) for k in distinct}
            if len(dtypes) == 1:
                self._deliver_rows_mixed(batch, key_list, distinct, dtypes.pop(), self.fields)
                return
        cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
        bounds = [0, *cuts.tolist(), n]
        for a, b in zip(bounds[:-1], bounds[1:], strict=False):
            self._deliver(int(keys[a]), batch[a:b])

    def _deliver_rows_mixed(
        self,
        batch: np.ndarray,
        key_list: list[int],
        distinct: list[int],
        dtype: np.dtype | None,
        fields: tuple[str, ...],
    ) -> None:
        # Interleaved topics read as one dtype: take each column once for the whole batch and
        # look the handlers up per record (runs may be 1 record long).
        handlers_of = {k: self.bus.handlers_for(self._name(k)) for k in distinct}
        view = batch if dtype is None else batch.view(dtype)
        columns = [view[f].tolist() for f in fields]
        for row, key in zip(zip(*columns, strict=True), key_list, strict=True):
            for handler in handlers_of[key]:
                handler(row)

    def _name(self, key: int) -> str:
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = self._topic_name(key)
        return name

    def _dtype(self, key: int) -> np.dtype | None:
        if self._dtype_of is None:
            return None
        dtype = self._dtypes.get(key)
        if dtype is None:
            dtype = self._dtypes[key] = np.dtype(self._dtype_of(key))
        return dtype

    def _deliver(self, key: int, run: np.ndarray) -> None:
        handlers = self.bus.handlers_for(self._name(key))
        if not handlers:
            return
        dtype = self._dtype(key)
        if dtype is not None:
            run = run.view(dtype)
        if self.fields is None:
            for handler in handlers:
                handler(run)
            return
        columns = [run[f].tolist() for f in self.fields]
        rows = zip(*columns, strict=True) if len(columns) > 1 else ((v,) for v in columns[0])
        # Unrolled for the usual 1-3 subscribers: the inner loop dominates per-record cost.
        n_handlers = len(handlers)
        if n_handlers == 1:
            (h0,) = handlers
            for row in rows:
                h0(row)
        elif n_handlers == 2:
            h0, h1 = handlers
            for row in rows:
                h0(row)
                h1(row)
        elif n_handlers == 3:
            h0, h1, h2 = handlers
            for row in rows:
                h0(row)
                h1(row)
                h2(row)
        else:
            for row in rows:
                for handler in handlers:
                    handler(row)


# --- market data topics: data.<kind>.<instrument_id> -------------------------------------------

_INSTRUMENT_DTYPE = np.dtype(
    {"names": ["kind", "instrument_id"], "formats": ["<u2", "<u4"],
     "offsets": [32, HEADER_SIZE], "itemsize": 128}
)


def data_topic_key(batch: np.ndarray) -> np.ndarray:
    """Returns ``kind << 32 | instrument_id`` per record (instrument_id = first payload u4).

    Meaningful for the market data kinds (QUOTE, TRADE, BAR, BOOK_DELTA, INSTRUMENT), whose first
    payload field is ``instrument_id``; other kinds get their first payload u4 instead.
    """
    view = batch.view(_INSTRUMENT_DTYPE)
    return (view["kind"].astype(np.int64) << 32) | view["instrument_id"]


def data_topic_name(key: int) -> str:
    """Returns ``data.<kind name lower>.<instrument_id>``, e.g. ``data.quote.17``."""
    kind = key >> 32
    layout = LAYOUTS.get(kind)
    kind_name = layout.spec.name.lower() if layout is not None else f"kind{kind}"
    return f"data.{kind_name}.{key & 0xFFFFFFFF}"


def data_topic_dtype(key: int) -> np.dtype:
    """Returns the kind-specific dtype of a data topic key (RECORD_DTYPE-sized)."""
    return KIND_DTYPES[key >> 32]
