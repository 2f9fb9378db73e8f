"""Runs a writer in a child process and SIGKILLs it once it reports a commit (crash tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


def kill_after_commit(child_code: str, *args: str, seq: int) -> tuple[int, list[str]]:
    """Runs ``child_code`` (prints ``committed <seq> ...`` after each commit) with ``args``;
    SIGKILLs it once it printed a seq >= ``seq``; returns that seq and its line's words."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen([sys.executable, "-c", child_code, *args],
                             stdout=subprocess.PIPE, text=True, env=env)
    last, words = 0, []
    for line in child.stdout:
        words = line.split()
        last = int(words[1])
        if last >= seq:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    return last, words
