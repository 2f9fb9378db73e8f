"""The durable step of a live order under ``sync``: the command's records in the node's journal
and its FIX message in the session store, both on disk before the bytes may leave.

Two real journals (``JournalWriter``), a 3-record commit to the node's and a 2-record commit to
the store's per order, an order every ``--pause-ms`` (the live path runs cold), three ways:

- ``lmdb sync, in series`` (before issue 14's fourth pass): each an LMDB synchronous commit
  (data flush, then the meta page written synchronously), the node's first, then the store's;
- ``fsync apart, node on its committer`` (now): each an LMDB commit without sync and one
  fdatasync; the node's commit and then its fdatasync on the writer's committer thread (the
  caller waits for the commit only), while the store commits and fdatasyncs on the calling
  thread; done when both are durable;
- ``fsync apart, in series``: the same flushes one after the other (what the thread buys).

``step_us`` is the time from the node's commit call to both durable (median and p90 of
``--orders``). Flushes of two files on one disk may not overlap: the device serialises them.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from _common import parser, report

from journal import JournalWriter
from journal.synth import quote_records


def _step_us(mode: str, root: Path, orders: int, pause_s: float) -> list[float]:
    apart = mode != "lmdb sync, in series"
    node = JournalWriter(root / "node", "sync", fsync_apart=apart)
    store = JournalWriter(root / "node.fix", "sync", fsync_apart=apart)
    if mode == "fsync apart, node on its committer":
        node.start_committer()
    records, messages = quote_records(1, orders * 3), quote_records(1, orders * 2)
    out = []
    try:
        for i in range(orders):
            time.sleep(pause_s)
            t0 = time.perf_counter_ns()
            node.on_batch(records[3 * i : 3 * i + 3])
            node.commit()
            store.on_batch(messages[2 * i : 2 * i + 2])
            store.commit()
            node.wait_durable(node.committed_seq)
            out.append((time.perf_counter_ns() - t0) / 1000)
    finally:
        node.close()
        store.close()
    return out[1:]  # the first order opens the files


MODES = ("lmdb sync, in series", "fsync apart, node on its committer", "fsync apart, in series")


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--orders", type=int, default=300, help="orders per mode and repeat")
    p.add_argument("--pause-ms", type=float, default=2.0, help="pause before each order")
    args = p.parse_args()
    samples: dict[str, list[float]] = {m: [] for m in MODES}
    for _ in range(max(1, args.repeats)):
        for mode in MODES:  # interleaved: the disk's load drifts
            with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parents[1]) as tmp:
                samples[mode] += _step_us(mode, Path(tmp), args.orders, args.pause_ms / 1000)
    rows = [{"mode": m, "orders": len(s), "step_p50_us": round(float(np.percentile(s, 50))),
             "step_p90_us": round(float(np.percentile(s, 90))),
             "step_p99_us": round(float(np.percentile(s, 99)))} for m, s in samples.items()]
    report("live_durable_step: an order's two journals durable (sync)", rows, args.json)


if __name__ == "__main__":
    main()
