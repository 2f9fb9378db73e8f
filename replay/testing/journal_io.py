"""Saving a stream (a hypothesis counterexample, a generated day) as a real LMDB journal.

Contract: the journal holds one run: RUN_STARTED + its manifest (STRING records; its config is
``config`` — backtest settings, default none — plus the saved-stream marker), the stream's
records renumbered from seq 2 + the manifest's parts, then RUN_ENDED (reason CLEAN, state hash
0: a saved stream carries no run state). ``ts_init`` of the run records is the stream's first
and last. The journal opens with ``ringbus inspect`` / ``verify`` / ``check`` (and ``replay`` /
``trace``); nothing in it is code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from domain.codec import as_kind, encode
from domain.enums import RecordFlag, RunEndReason
from domain.kinds import RECORD_DTYPE, Kind
from journal.runs import RunManifest
from replay.testing.streams import T0_NS, concat, stamp

INPUT = int(RecordFlag.INPUT)
#: The manifest key that marks a saved stream (``python_*`` keys are not backtest settings:
#: ``ringbus replay`` reads the rest of the config as a default backtest config).
SAVED_STREAM_KEY = "python_saved_stream"


def write_journal(stream: Any, path: str | Path, *, seed: int = 0,
                  config: dict[str, Any] | None = None, durability: str = "none") -> Path:
    """Writes ``stream`` (a ``Stream`` or a record array) as a one-run journal at ``path``
    (a new directory); returns the path. ``config`` holds backtest settings for ``ringbus
    replay`` (e.g. ``{"venues": [...]}``). Raises ValueError if ``path`` holds a journal."""
    from journal.writer import JournalWriter

    path = Path(path)
    if (path / "data.mdb").exists():
        raise ValueError(f"{path}: a journal exists there; write_journal makes a new one")
    records = np.ascontiguousarray(getattr(stream, "records", stream)).view(RECORD_DTYPE)
    manifest = RunManifest(config={**(config or {}), SAVED_STREAM_KEY: "replay.testing"},
                           seed=seed)
    strings = records[records["kind"] == Kind.STRING]
    used = as_kind(strings, Kind.STRING)["string_id"] if len(strings) else np.zeros(1, np.uint32)
    manifest_id = int(used.max()) + 1
    t0 = int(records["ts_init"][0]) if len(records) else T0_NS
    t1 = int(records["ts_init"][-1]) if len(records) else T0_NS
    start = manifest.to_records(manifest_id)
    start["ts_init"] = start["ts_event"] = t0
    start["flags"] = INPUT
    end = encode(Kind.RUN_ENDED, ts_event=t1, ts_init=t1, flags=INPUT, run_id=manifest.run_id,
                 n_records=len(start) + len(records) + 1, reason=int(RunEndReason.CLEAN))
    out = stamp(concat([start, records, end]))
    with JournalWriter(path, durability=durability) as writer:
        for lo in range(0, len(out), 1 << 16):
            writer.on_batch(out[lo : lo + (1 << 16)])
            writer.flush()
    return path
