"""A journal's summary for ``ringbus inspect``: seq range, counts by kind, time range, runs.

Counting by kind reads every batch (checked); runs come from the runs index. Kinds this
build does not know are listed in ``unknown_kinds`` (code -> first seq): ``inspect`` exits 1.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from domain.codec import kind_name
from domain.kinds import KIND_DTYPES
from journal import format as fmt
from journal.lock import writer_alive
from journal.reader import JournalReader
from journal.runs import scan_runs
from journal.store import Journal

_KNOWN = np.zeros(1 << 16, dtype=bool)
_KNOWN[list(KIND_DTYPES)] = True


def iso_ns(ts_ns: int) -> str:
    """Returns ``ts_ns`` (ns since the UNIX epoch) as ISO 8601 UTC with nanoseconds."""
    seconds, ns = divmod(ts_ns, 1_000_000_000)
    stamp = dt.datetime.fromtimestamp(seconds, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{ns:09d}Z"


def summarize(journal: Journal) -> dict[str, Any]:
    """Returns the summary of ``journal`` as a JSON-able dict (raises CorruptionError)."""
    reader = JournalReader(journal)
    counts = np.zeros(1 << 16, dtype=np.int64)
    first_ts = last_ts = None
    n_records = n_batches = 0
    unknown: dict[str, int] = {}
    for batch in reader.batches(1):
        kinds = batch["kind"]
        counts += np.bincount(kinds, minlength=1 << 16)
        for i in np.flatnonzero(~_KNOWN[kinds]):
            unknown.setdefault(str(int(kinds[i])), int(batch["seq"][i]))
        if first_ts is None:
            first_ts = int(batch["ts_init"][0])
        last_ts = int(batch["ts_init"][-1])
        n_records += len(batch)
        n_batches += 1
    with journal.read_txn() as txn:
        meta = {bytes(k).decode(): bytes(v) for k, v in txn.cursor(journal.meta_db)}
    durability = meta.get(fmt.META_DURABILITY.decode(), b"unknown").decode("ascii", "replace")
    holder = writer_alive(journal.path)
    time_range = None
    if first_ts is not None and last_ts is not None:
        time_range = {"first_ts_init": first_ts, "last_ts_init": last_ts,
                      "first_iso": iso_ns(first_ts), "last_iso": iso_ns(last_ts)}
    return {
        "path": str(journal.path),
        "first_seq": reader.first_seq(),
        "last_seq": reader.last_seq(),
        "n_records": n_records,
        "n_batches": n_batches,
        "unknown_kinds": unknown,
        "counts_by_kind": {kind_name(int(k)): int(counts[k]) for k in np.flatnonzero(counts)},
        "time_range": time_range,
        "runs": [run.to_dict() for run in scan_runs(journal)],
        "size_on_disk_bytes": journal.size_on_disk(),
        "durability": durability,
        "schema_fingerprint": f"{journal.schema_fingerprint:016x}",
        "format_version": fmt.FORMAT_VERSION,
        "writer_pid": holder,
    }
