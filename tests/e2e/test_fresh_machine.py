"""Fresh machine (issue 18): the README's second command is what CI runs, CI runs the suite a
second time in a fresh venv without ../shared, and without the shared data every real-data
test skips (saying why) instead of failing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REAL_DATA_TESTS = ["tests/golden/test_invariants_on_real_data.py",
                   "tests/unit/test_loaders_real_files.py", "tests/golden/test_es_mbo_book.py",
                   "tests/unit/test_dbn_loader.py", "tests/unit/test_loaders_detect.py"]


def readme_test_command() -> str:
    text = (ROOT / "README.md").read_text()
    m = re.search(r"# 2\. [^\n]*\n(?P<cmd>[^\n]+)\n", text)
    assert m is not None, "README has no command 2"
    return m["cmd"].strip()


def test_fresh_machine_ci_runs_the_readme_test_command_verbatim() -> None:
    command = readme_test_command()
    assert command == 'python -m pip install -e ".[test]" && python -m pytest'
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert command in lines


def test_fresh_machine_ci_runs_the_suite_again_in_a_fresh_venv_without_shared_data() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    after = ci[ci.index(readme_test_command()):]
    assert "python -m venv" in after and '-m pip install -q -e "$tmp/project[test]"' in after
    assert 'RINGBUS_SHARED_DATA="$tmp/no-shared-data"' in after and "env -u PYTHONPATH" in after


def test_fresh_machine_without_shared_data_every_real_data_test_skips(tmp_path: Path) -> None:
    env = dict(os.environ, RINGBUS_SHARED_DATA=str(tmp_path / "nowhere"), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "no:randomly", "-rs", *REAL_DATA_TESTS],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert "failed" not in summary and "error" not in summary and "skipped" in summary
    assert f"shared data folder not found at {tmp_path / 'nowhere'}" in done.stdout
