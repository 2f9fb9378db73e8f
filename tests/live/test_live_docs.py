"""The README's live example and the examples/live walkthrough run against ordermatch."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_live_example_runs_as_written(ordermatch, tmp_path):
    readme = (ROOT / "README.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.S)
                 if "FixExecutionClient(session" in b)
    script = tmp_path / "live_example.py"
    script.write_text(
        f"import os\nport = {ordermatch.port}\n" + block
        + "import time\ntime.sleep(0.3)\nprint(client.orders.orders[1].status)\n"
        + "session.stop()\nsession.journal.close()\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), RINGBUS_FIX_PASSWORD="readme-pw")
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ACCEPTED"  # nothing to match against: it rests


def test_the_live_walkthrough_runs_and_prints_its_journal(ordermatch, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "live" / "walkthrough.py"), str(tmp_path / "j")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "order 1: FILLED filled 40 of 40" in result.stdout
    assert "order 3: ACCEPTED filled 0 of 20" in result.stdout  # modified 10 -> 20
    assert "ORDER_DENIED" in result.stdout
