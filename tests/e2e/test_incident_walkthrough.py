"""The incident walkthrough of docs/replay.md, run as a user runs it: the example script, then
the same steps through the ``ringbus`` command line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "incident"


def run(*cmd: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(EXAMPLE), str(ROOT)])}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def ringbus(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("ringbus")
    return run(*([exe] if exe else [sys.executable, "-m", "replay.cli"]), *args, cwd=cwd)


def test_the_walkthrough_finds_the_bug_traces_it_and_the_fix_removes_it(tmp_path: Path) -> None:
    out = run(sys.executable, str(EXAMPLE / "run_incident.py"), "--workdir", str(tmp_path),
              "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    bad = doc["bad_seq"]
    assert bad > 0 and "over the limit 200000" in doc["message"]
    assert doc["state"]["positions"][0]["quantity"] == "300000"
    assert doc["state"]["positions"][0]["side"] == "SHORT"
    assert doc["chain_kinds"][0] == "ORDER_FILLED" and doc["chain_kinds"][-1] == "QUOTE"
    assert "SUBMIT_ORDER" in doc["chain_kinds"]
    assert 0 < doc["first_divergent_seq"] < bad  # the fix stops the order that led there
    assert doc["fixed_holds"] and doc["fixed_state_hash"] != doc["original_state_hash"]

    journal, fixed = doc["journal"], doc["fixed_journal"]
    spec = "incident_checks:position_within_limit"
    bisect = ringbus("bisect", journal, "--invariant", spec, "--json", cwd=tmp_path)
    assert bisect.returncode == 1 and json.loads(bisect.stdout)["seq"] == bad
    replay = ringbus("replay", journal, "--to-seq", str(bad), "--json", cwd=tmp_path)
    assert replay.returncode == 0 and json.loads(replay.stdout) | {"snapshot_seq": None} == \
        doc["state"] | {"snapshot_seq": None}
    trace = ringbus("trace", journal, "--seq", str(bad), cwd=tmp_path)
    assert trace.returncode == 0 and "ORDER_FILLED" in trace.stdout
    diff = ringbus("diff", journal, fixed, "--json", cwd=tmp_path)
    assert diff.returncode == 1 and json.loads(diff.stdout)["first_divergent_seq"] == \
        doc["first_divergent_seq"]
    verify = ringbus("verify", journal, "--reexecute", "--trust-journal-code", cwd=tmp_path)
    assert verify.returncode == 0, verify.stderr  # the buggy code reproduces its own run
    assert ringbus("bisect", fixed, "--invariant", spec, cwd=tmp_path).returncode == 0
