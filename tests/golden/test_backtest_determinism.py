"""The same backtest in two processes with different PYTHONHASHSEED: byte-identical journals
(every record compared) and the same state hash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from journal.reader import JournalReader
from journal.store import Journal

ROOT = Path(__file__).resolve().parents[2]


def backtest(data: Path, journal: Path, hash_seed: str) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run(
        [sys.executable, "-m", "replay.cli", "backtest", "--strategy", "ema_cross", "--data",
         str(data), "--instrument", "EUR/USD.SIM", "--journal", str(journal), "--json", "--quiet"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def records(journal: Path) -> bytes:
    with Journal.open(journal) as j:
        return JournalReader(j).records_between().tobytes()


def test_two_processes_with_different_hash_seeds_write_identical_journals(
        tmp_path: Path, shared_data: Path) -> None:
    data = shared_data / "quote_tick_data.csv"
    a = backtest(data, tmp_path / "a", "1")
    b = backtest(data, tmp_path / "b", "4242")
    assert a["n_orders"] > 100
    assert a["state_hash"] == b["state_hash"] and a["run_id"] == b["run_id"]
    assert a["last_seq"] == b["last_seq"] == a["n_records"]
    ra, rb = records(tmp_path / "a"), records(tmp_path / "b")
    assert len(ra) == 128 * a["n_records"]
    diff = [i for i in range(0, len(ra), 128) if ra[i : i + 128] != rb[i : i + 128]]
    assert diff == [], f"first differing seq: {diff[0] // 128 + 1 if diff else None}"
