"""Helpers of the crash-recovery tests: the backtest command, killing it at a random moment,
and comparing journals modulo run-lifecycle records.

Run one trial by hand: ``python tests/faults/crash_recovery_proc.py WORKDIR SEED``.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
LIFECYCLE = (2, 3, 4)  # RUN_STARTED, RUN_ENDED, RUN_RECOVERED (domain/kinds.py codes)


#: The strategies of the crash trials: (strategy name, params).
STRATEGIES = {
    "ema_cross": ("ema_cross", "{ fast = 5, slow = 20 }"),
    "momentum": ("examples.momentum:Momentum", "{ trade_size = 100000 }"),
}


def make_workload(workdir: Path, shared_data: Path, rows: int = 1500, strategy: str = "ema_cross",
                  snapshot_every: int = 500) -> Path:
    """Writes the data slice and the TOML config; returns the config path."""
    lines = (shared_data / "quote_tick_data.csv").read_text().splitlines()[:rows]
    data = workdir / "eurusd-quotes.csv"
    data.write_text("\n".join(lines) + "\n")
    name, params = STRATEGIES[strategy]
    config = workdir / f"crash-{strategy}.toml"
    config.write_text(
        f"snapshot_every = {snapshot_every}\n\n"
        f'[[data]]\npath = "{data}"\ninstrument_id = "EUR/USD.SIM"\n\n'
        f'[[strategies]]\nname = "{name}"\nparams = {params}\n')
    return config


def command(config: Path, journal: Path) -> list[str]:
    exe = shutil.which("ringbus")
    head = [exe] if exe else [sys.executable, "-m", "replay.cli"]
    return [*head, "backtest", "--config", str(config), "--journal", str(journal),
            "--durability", "sync", "--json", "--quiet"]


def start(config: Path, journal: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(command(config, journal), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=journal.parent)


def finish(proc: subprocess.Popen[str]) -> tuple[int, dict[str, Any] | None, str]:
    out, err = proc.communicate(timeout=600)
    doc = json.loads(out) if proc.returncode == 0 and out.strip() else None
    return proc.returncode, doc, err


def last_seq(journal: Path) -> int:
    from journal.errors import JournalError
    from journal.reader import JournalReader
    from journal.store import Journal

    try:
        with Journal.open(journal) as j:
            return JournalReader(j).last_seq()
    except JournalError:
        return 0


def kill_at_random(config: Path, journal: Path, seed: int, ref_last: int,
                   ref_wall_s: float) -> tuple[int, int]:
    """Starts the command and SIGKILLs it: at a random seq (even seeds) or a random time (odd
    seeds); returns (return code, last seq journaled)."""
    rng = random.Random(seed)
    proc = start(config, journal)
    if seed % 2 == 0:
        target = rng.randint(1, max(1, ref_last * 9 // 10))
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if last_seq(journal) >= target:
                break
            time.sleep(0.002)
    else:
        time.sleep(rng.uniform(0.0, ref_wall_s))
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    return proc.returncode, last_seq(journal)


def content(journal: Path) -> np.ndarray:
    """Returns the journal's records without run-lifecycle ones, seqs renumbered (seq and cause
    rewritten as positions in what is kept) so two journals compare byte for byte."""
    from journal.reader import JournalReader
    from journal.store import Journal

    with Journal.open(journal) as j:
        recs = JournalReader(j).records_between(1)
    keep = ~np.isin(recs["kind"], LIFECYCLE)
    new_of = np.zeros(len(recs) + 1, dtype=np.int64)
    new_of[1:][keep] = np.arange(1, int(keep.sum()) + 1)
    out = recs[keep].copy()
    out["seq"] = new_of[out["seq"].astype(np.int64)]
    out["cause"] = new_of[out["cause"].astype(np.int64)]
    return out


def main() -> int:
    workdir, seed = Path(sys.argv[1]), int(sys.argv[2])
    workdir.mkdir(parents=True, exist_ok=True)
    config = make_workload(workdir, ROOT.parent / "shared" / "data")
    journal = workdir / f"trial-{seed}"
    shutil.rmtree(journal, ignore_errors=True)
    code, seq = kill_at_random(config, journal, seed, 8000, 3.0)
    print(f"killed (rc {code}) at seq {seq}")
    code, doc, err = finish(start(config, journal))
    print(code, json.dumps(doc) if doc else err)
    return code


if __name__ == "__main__":
    sys.exit(main())
