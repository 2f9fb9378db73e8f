"""``ringbus tail --state``: a rolling state summary of a journal another process writes.

Design contract:
- the state is folded by the same code as ``ringbus replay``: :func:`replay.rebuild.rebuild`
  at the journal's last record (its summary is printed first; a journal whose last record is
  RUN_ENDED then ends the command unless ``--follow``), or at the first record committed for
  an empty journal; then every committed batch is published into that rebuild kernel;
- after each batch one summary is printed (:func:`summary_line`, or the
  :func:`replay.state_report.state_report` JSON with ``--json``): seq, state hash, open orders,
  open positions with realized PnL, balances;
- a batch that follows a RUN_ENDED is folded by a fresh rebuild (a new run has its own
  components), so the summary always matches ``ringbus replay JOURNAL --seq N``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from domain.kinds import Kind
from journal.tailer import Tailer
from replay.rebuild import rebuild
from replay.state_report import state_report


def summary_line(report: dict[str, Any]) -> str:
    """One line: seq, hash, counts, positions (side qty @ avg, realized) and balances."""
    pos = " ".join(f"{p['instrument']}:{p['side']} {p['quantity']}@{p['avg_px_open']} "
                   f"realized {p['realized_pnl']}" for p in report["positions"]) or "flat"
    bal = " ".join(f"{acct}:{cur}={v['total']}" for acct, per in report["balances"].items()
                   for cur, v in per.items())
    return (f"seq {report['seq']} state_hash {report['state_hash']} "
            f"open_orders {len(report['open_orders'])} positions [{pos}] balances [{bal}]")


def rolling_states(tailer: Tailer, stop: Callable[[], bool], *, follow: bool
                   ) -> Iterator[dict[str, Any]]:
    """Yields the state report after each committed batch; the tailer must start just past the
    journal's end at the time it opened. Ends at RUN_ENDED unless ``follow``."""
    journal, last = tailer.journal, tailer.next_seq - 1
    head_rec = tailer.reader.record(last) if last else None
    ended_already = head_rec is not None and int(head_rec["kind"][0]) == Kind.RUN_ENDED
    kernel = rebuild(journal, last).kernel if head_rec is not None else None
    if kernel is not None and head_rec is not None:
        yield state_report(kernel, last, int(head_rec["ts_init"][0]))
        if ended_already:
            if not follow:
                return
            kernel = None
    for batch in tailer.batches(stop=stop):
        ended = np.flatnonzero(batch["kind"] == Kind.RUN_ENDED)
        cut = int(ended[0]) + 1 if ended.size else len(batch)
        head, rest = batch[:cut], batch[cut:]
        if kernel is None:
            kernel = rebuild(journal, int(head["seq"][-1])).kernel
        else:
            kernel.publish(head)
        yield state_report(kernel, int(head["seq"][-1]), int(head["ts_init"][-1]))
        if not ended.size:
            continue
        if not follow:
            return
        kernel = None
        if len(rest):  # a new run began in the same batch: fold it afresh
            kernel = rebuild(journal, int(rest["seq"][-1])).kernel
            yield state_report(kernel, int(rest["seq"][-1]), int(rest["ts_init"][-1]))
            if bool(np.any(rest["kind"] == Kind.RUN_ENDED)):
                kernel = None
