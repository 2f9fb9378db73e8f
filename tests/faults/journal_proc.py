"""Subprocess helper for the journal fault tests (run as ``python journal_proc.py MODE ...``).

Modes:
- ``write PATH SEED MAX_COMMITS``: a sync writer appending seeded chunks; prints
  ``committed <seq>`` after each commit returns, then ``done``;
- ``hold PATH``: takes the writer lock, prints ``ready``, sleeps until killed;
- ``tail PATH LAST_SEQ``: tails from seq 1 and prints ``batch <first> <last>`` per batch until
  LAST_SEQ has been seen, then ``done``.
"""

from __future__ import annotations

import sys
import time

import numpy as np


def chunk_sizes(seed: int, n: int) -> list[int]:
    """The deterministic chunk sizes of writer ``seed`` (shared with the tests)."""
    rng = np.random.default_rng(seed)
    return [int(x) for x in rng.integers(1, 3000, size=n)]


def write(path: str, seed: int, max_commits: int) -> None:
    from journal import JournalWriter
    from journal.synth import quote_records

    with JournalWriter(path, "sync") as writer:
        for size in chunk_sizes(seed, max_commits):
            writer.on_batch(quote_records(writer.next_seq, size))
            print(f"committed {writer.flush()}", flush=True)
    print("done", flush=True)


def hold(path: str) -> None:
    from journal import JournalWriter

    writer = JournalWriter(path, "sync")
    print("ready", flush=True)
    time.sleep(600)
    writer.close()


def tail(path: str, last_seq: int) -> None:
    from journal.tailer import Tailer

    with Tailer(path, 1) as tailer:
        print("ready", flush=True)
        for batch in tailer.batches(stop=lambda: tailer.next_seq > last_seq):
            print(f"batch {int(batch['seq'][0])} {int(batch['seq'][-1])}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "write":
        write(args[0], int(args[1]), int(args[2]))
    elif mode == "hold":
        hold(args[0])
    elif mode == "tail":
        tail(args[0], int(args[1]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
