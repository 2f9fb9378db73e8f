"""Untrusted journals: a journal's manifest naming a ``module:Class`` strategy never gets that
module imported by ``verify --reexecute`` or ``check --whole-journal`` unless the user passes
``--trust-journal-code`` (or gives the code with ``--strategy``), and the working directory is
never put on ``sys.path`` for it.

The crafted journal names ``pwn_strategy:Evil``; ``pwn_strategy.py`` sits in the working
directory and writes a marker file when imported. Commands run as the ``ringbus`` script does:
``python -P`` keeps Python itself from putting the working directory on ``sys.path``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from domain.codec import encode
from domain.kinds import Kind

ROOT = Path(__file__).resolve().parents[2]
EVIL = "import pathlib\npathlib.Path(__file__).with_name('PWNED').write_text('ran')\n"


def write_manifest_journal(path: Path, strategy_name: str) -> Path:
    """Writes a journal of one run (RUN_STARTED, manifest, RUN_ENDED) whose manifest names
    the strategy ``strategy_name``; returns ``path``."""
    from journal.runs import RunManifest
    from journal.writer import JournalWriter

    manifest = RunManifest(config={"strategies": [{"name": strategy_name, "params": {}}],
                                   "data": [], "seed": 0})
    with JournalWriter(path, durability="sync") as writer:
        recs = manifest.to_records(1)
        recs["seq"] = np.arange(1, len(recs) + 1)
        recs["flags"] = 1
        writer.on_batch(recs)
        end = encode(Kind.RUN_ENDED, run_id=manifest.run_id, n_records=len(recs) + 1, flags=1)
        end["seq"] = len(recs) + 1
        writer.on_batch(end)
    return path


@pytest.fixture
def crafted(tmp_path: Path) -> Path:
    """A journal whose one run's manifest names ``pwn_strategy:Evil``, beside that module."""
    (tmp_path / "pwn_strategy.py").write_text(EVIL)
    write_manifest_journal(tmp_path / "crafted", "pwn_strategy:Evil")
    return tmp_path


def ringbus(cwd: Path, *args: str, pythonpath: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), pythonpath) if p))
    return subprocess.run([sys.executable, "-P", "-m", "replay.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_untrusted_journals_verify_reexecute_never_imports_the_manifest_strategy(
    crafted: Path,
) -> None:
    result = ringbus(crafted, "verify", "crafted", "--reexecute")
    assert result.returncode == 2, result.stderr
    assert "'pwn_strategy:Evil', code outside ringbus" in result.stderr
    assert "--trust-journal-code" in result.stderr and "Traceback" not in result.stderr
    assert not (crafted / "PWNED").exists()


def test_untrusted_journals_check_whole_journal_never_imports_the_manifest_strategy(
    crafted: Path,
) -> None:
    result = ringbus(crafted, "check", "crafted", "--whole-journal")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "'pwn_strategy:Evil', code outside ringbus" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (crafted / "PWNED").exists()


def test_untrusted_journals_trust_flag_never_adds_the_working_directory(crafted: Path) -> None:
    for args in (["verify", "crafted", "--reexecute", "--trust-journal-code"],
                 ["check", "crafted", "--whole-journal", "--trust-journal-code"]):
        result = ringbus(crafted, *args)
        assert result.returncode == 2 and "cannot import 'pwn_strategy'" in result.stderr
        assert not (crafted / "PWNED").exists()


def test_untrusted_journals_trusted_code_on_the_path_is_what_gets_imported(
    crafted: Path,
) -> None:
    # the control: with the flag and the module's folder on PYTHONPATH, the import does happen
    result = ringbus(crafted, "verify", "crafted", "--reexecute", "--trust-journal-code",
                     pythonpath=str(crafted))
    assert (crafted / "PWNED").read_text() == "ran"
    assert result.returncode == 2 and "is not a Strategy subclass" in result.stderr


def test_untrusted_journals_builtin_strategies_need_no_trust(tmp_path: Path) -> None:
    from replay.strategy_registry import journal_strategy

    assert type(journal_strategy("ema_cross", {"fast": 3, "slow": 9})).__name__ == "EmaCross"
    assert type(journal_strategy("engines.strategies.noop:Noop", {})).__name__ == "Noop"
