"""The startup and shutdown records of a run: written by one function each, for every node.

Design contract:
- :func:`startup`: RUN_STARTED + the manifest STRING records, the components' registration
  records, the setup inputs (``setup(kernel)``: symbols, instruments, accounts — or the
  journal's own setup inputs when re-executing), NODE_STARTED, then the components start.
  Every record is stamped with the run's first data ``ts_init``; the control records are INPUT;
- :func:`end_run` ends a run with RUN_ENDED (``n_records`` counts the run's records, this one
  included; ``state_hash`` the ``state``-scope hash of the kernel):
  - CLEAN: the timers due by the end time fire, the clock moves to the end time (a live
    node's last horizon), the components stop, then RUN_ENDED;
  - INTERRUPTED (SIGINT between publishes): RUN_ENDED only; components keep running state so
    the run resumes (from a snapshot the node takes at that record);
  - FAULTED: a STRING ``fault: <text>`` (INPUT) and RUN_ENDED. On an intact kernel (bad data
    read later in a file) both are published; on a faulted kernel (crash-only: it takes no
    more records) both are appended to its journal right after the last record it holds,
    with the hash of the state as the fault left it;
- re-execution calls the same functions, so its records compare equal byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from domain.codec import encode
from domain.enums import RecordFlag, RunEndReason
from domain.kinds import Kind
from engines.kernel import Kernel
from replay.loop import run_until

INPUT = int(RecordFlag.INPUT)
#: A fault note longer than this is cut (a STRING part holds 80 bytes).
MAX_FAULT_TEXT = 2000


def startup(kernel: Kernel, manifest: np.ndarray, setup: Callable[[Kernel], None],
            ts_ns: int) -> None:
    """Publishes a run's startup records and starts the components (see the module contract).
    ``manifest``: RUN_STARTED + STRING records (``RunManifest.to_records``)."""
    kernel.ctx.now_ns = ts_ns
    manifest = manifest.copy()
    manifest["ts_event"] = manifest["ts_init"] = ts_ns
    manifest["flags"] = INPUT
    kernel.publish(manifest)
    kernel.publish_setup()
    setup(kernel)
    kernel.publish(encode(Kind.NODE_STARTED, ts_event=ts_ns, ts_init=ts_ns, flags=INPUT,
                          n_components=len(kernel.components)))
    kernel.start()


def fault_text(exc: BaseException) -> str:
    """Returns the one-line text of a fault, as journaled and reported."""
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text if len(text) <= MAX_FAULT_TEXT else text[: MAX_FAULT_TEXT - 3] + "..."


def end_run(kernel: Kernel, reason: RunEndReason, run_id: int, first_seq: int,
            end_ts: int = 0, fault: str = "") -> int:
    """Ends the run started at ``first_seq`` (see the module contract); returns the state hash
    written in RUN_ENDED."""
    if reason == RunEndReason.CLEAN:
        run_until(kernel, max(kernel.ctx.now_ns, end_ts))
        kernel.ctx.now_ns = max(kernel.ctx.now_ns, end_ts)  # a live node's clock at its stop
        kernel.stop()
    ts = kernel.ctx.now_ns
    records = []
    if reason == RunEndReason.FAULTED:
        note = kernel.strings.intern(f"fault: {fault}")[1]
        if note is not None:  # (None: the same text was interned before)
            note["ts_event"] = note["ts_init"] = ts
            note["flags"] = INPUT
            records.append(note)
    state_hash = kernel.state_hash()
    n = sum(len(r) for r in records)
    ended = encode(Kind.RUN_ENDED, ts_event=ts, ts_init=ts, flags=INPUT, run_id=run_id,
                   n_records=kernel.last_seq - first_seq + 2 + n, state_hash=state_hash,
                   reason=int(reason))
    if kernel.faulted is None:
        for part in records:
            kernel.publish(part)
        kernel.publish(ended)
    else:
        _append(kernel, np.concatenate([*records, ended]))
    return state_hash


def _append(kernel: Kernel, records: np.ndarray) -> None:
    """Appends records after a faulted kernel's last one, straight to its journal."""
    journal: Any = kernel.journal
    records["seq"] = np.arange(kernel.last_seq + 1, kernel.last_seq + 1 + len(records),
                               dtype=records["seq"].dtype)
    journal.on_batch(records)
    journal.flush()
