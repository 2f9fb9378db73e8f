"""The ``ringbus`` program leaves its objects to the OS at exit (no final collector passes)."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from replay.cli import main


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_the_program_freezes_the_collector_when_its_command_ends(
        unfrozen: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["ringbus", "backtest", "--strategy", "noop", "--data",
                                      str(tmp_path / "missing.csv"), "--quiet"])
    assert main() == 2  # bad input: the command ran and ended
    assert gc.get_freeze_count() > 0


def test_a_call_with_arguments_leaves_the_collector_alone(unfrozen: None, tmp_path: Path) -> None:
    assert main(["backtest", "--strategy", "noop", "--data", str(tmp_path / "missing.csv"),
                 "--quiet"]) == 2
    assert gc.get_freeze_count() == 0


def test_the_program_still_prints_its_json_and_exit_code(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "replay.cli", "backtest", "--strategy", "noop",
                          "--data", str(tmp_path / "missing.csv"), "--json"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 2
    assert '"exit_code": 2' in out.stdout
