"""The README's examples run as written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO_DATA = ROOT / "replay" / "demo_data" / "eurusd-histdata-20200101.csv.gz"


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_readme_strategy_is_examples_momentum_verbatim():
    readme = (ROOT / "README.md").read_text()
    source = (ROOT / "examples" / "momentum.py").read_text()
    body = source[source.index("from domain.enums"):]
    assert body in _python_blocks(readme)


def test_the_readme_strategy_runs_in_a_backtest_from_the_command_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "replay.cli", "backtest", "--strategy",
         "examples.momentum:Momentum", "--data", str(DEMO_DATA), "--journal",
         str(tmp_path / "journal"), "--json", "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["n_orders"] > 0 and summary["n_fills"] == summary["n_orders"]


def test_the_readme_records_example_runs(tmp_path):
    readme = (ROOT / "README.md").read_text()
    block = next(b for b in _python_blocks(readme) if "from domain.records import" in b)
    script = tmp_path / "records_example.py"
    script.write_text(block + "\nassert record.dtype.itemsize == 128\nprint('ok')\n")
    result = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
