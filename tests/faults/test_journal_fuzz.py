"""How journal damage must show (issue 18, item 5): seeded byte flips over a backtest
journal's data.mdb (meta pages, the live B-tree pages, anywhere) never kill ``verify``,
``inspect``, ``replay`` or ``tail`` by a signal and never print a traceback; each exits 1
with a finding, or 0 with exactly the output of the sound journal. A rollback to an older
meta page is detected. 20 positions run by default, 220 under ``-m slow``."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from journal import format as fmt
from tests.faults.damage import (
    PAGE,
    ROOT,
    Outcome,
    demo_journal,
    lower_newest_txnid,
    ringbus,
    tail_all,
    tree_pages,
    xor_byte,
)

SEED = 18
HELPER = Path(__file__).with_name("read_commands_proc.py")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> dict:
    path = demo_journal(tmp_path_factory.mktemp("fuzz") / "src")
    shutil.rmtree(path / "tailers", ignore_errors=True)
    verify = json.loads(ringbus("verify", "--json", str(path)).stdout)
    last = verify["last_seq"]
    return {"path": path, "last_seq": last, "verify": verify,
            "inspect": _inspect_content(ringbus("inspect", "--json", str(path))),
            "replay": ringbus("replay", "--json", str(path)).stdout,
            "tail": tail_all(path, last).stdout,
            "tree": tree_pages((path / fmt.DATA_FILE).read_bytes())}


def _inspect_content(outcome: Outcome) -> dict:
    doc = json.loads(outcome.stdout)
    return {k: doc[k] for k in ("first_seq", "last_seq", "n_records", "counts_by_kind", "runs",
                                "time_range")}


def position(index: int, size: int, tree: list[int]) -> tuple[int, int]:
    """Returns (byte offset, xor mask) of flip ``index``: a third in the meta pages' fields,
    a third in the live B-tree pages, a third anywhere."""
    rng = random.Random(SEED * 100_003 + index)
    region = index % 3
    if region == 0:
        offset = rng.choice((0, PAGE)) + rng.randrange(160)
    elif region == 1:
        offset = rng.choice(tree) * PAGE + rng.randrange(PAGE)
    else:
        offset = rng.randrange(size)
    return offset, rng.randrange(1, 256)


def read_commands(path: Path, work: Path) -> dict[str, Outcome]:
    """Runs verify, inspect and replay (``--json``) as the program does, each in a forked
    child, from one helper process (tests/faults/read_commands_proc.py)."""
    out = work / "out"
    out.mkdir()
    proc = subprocess.run([sys.executable, str(HELPER), str(path), str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-1200:])
    codes = json.loads(proc.stdout)
    return {command: Outcome(code, (out / f"{command}.out").read_text(),
                             (out / f"{command}.err").read_text())
            for command, code in codes.items()}


def flip_and_read(pristine: dict, work: Path, index: int) -> None:
    path = work / "j"
    shutil.copytree(pristine["path"], path, ignore=shutil.ignore_patterns("report"))
    data = path / fmt.DATA_FILE
    offset, mask = position(index, data.stat().st_size, pristine["tree"])
    xor_byte(data, offset, mask)
    where = f"flip {index}: byte {offset} (page {offset // PAGE}) ^ {mask:#04x}"
    outcomes = {**read_commands(path, work), "tail": tail_all(path, pristine["last_seq"])}
    for command, outcome in outcomes.items():
        assert not outcome.died_by_signal, (where, command, outcome.returncode)
        assert not outcome.traceback, (where, command, outcome.stderr[-1200:])
        assert outcome.returncode in (0, 1), (where, command, outcome.returncode,
                                              outcome.stderr[-600:])
        if outcome.returncode == 1:
            assert (outcome.stderr + outcome.stdout).strip(), (where, command, "silent exit 1")
            continue
        if command == "verify":
            doc = json.loads(outcome.stdout)
            assert doc["status"] == "CLEAN", (where, doc)
            assert (doc["n_records"], doc["last_seq"]) == (
                pristine["verify"]["n_records"], pristine["verify"]["last_seq"]), where
        elif command == "inspect":
            assert _inspect_content(outcome) == pristine["inspect"], where
        else:
            assert outcome.stdout == pristine[command], (where, command)


@pytest.mark.parametrize("index", range(20))
def test_a_seeded_byte_flip_is_a_finding_or_harmless_for_every_reader(pristine, tmp_path, index):
    flip_and_read(pristine, tmp_path, index)


@pytest.mark.slow
@pytest.mark.parametrize("index", range(20, 240))
def test_two_hundred_more_byte_flips_are_findings_or_harmless(pristine, tmp_path, index):
    flip_and_read(pristine, tmp_path, index)


def test_a_rollback_to_the_older_meta_page_is_detected_by_every_reader(pristine, tmp_path):
    path = tmp_path / "j"
    shutil.copytree(pristine["path"], path, ignore=shutil.ignore_patterns("report"))
    lower_newest_txnid(path / fmt.DATA_FILE)
    for command in ("verify", "inspect", "replay"):
        outcome = ringbus(command, str(path))
        assert outcome.returncode == 1 and "rollback" in outcome.stderr, (command, outcome)
    outcome = tail_all(path, pristine["last_seq"])
    assert outcome.returncode == 1 and "rollback" in outcome.stderr
