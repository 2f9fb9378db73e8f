"""The same run in two processes with different PYTHONHASHSEED gives the same log and hash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = (
    "import hashlib\n"
    "from tests.unit.test_kernel_scenario import run_scenario\n"
    "k, _, log = run_scenario()\n"
    "print(hashlib.blake2b(log.tobytes()).hexdigest(), k.state_hash(), k.state_hash('all'))\n"
)


def _run(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def test_runs_in_processes_with_different_hash_seeds_agree_byte_for_byte() -> None:
    first, second = _run("1"), _run("12345")
    assert first == second
    assert len(first.split()) == 3  # log digest, state hash, full hash
