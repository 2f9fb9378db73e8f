"""A bit flipped anywhere in data.mdb (records, LMDB's B-tree or meta pages) never crashes
``ringbus verify`` and is never passed over: damage exits exactly 1 with a finding, no signal
and no traceback; exit 0 only with every record intact (the count and the last seq compared)."""

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
from journal.synth import write_quotes

ROOT = Path(__file__).resolve().parents[2]
N = 20_000


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("flips") / "src"
    write_quotes(path, N, chunk=3000, durability="none", value_records=1000)
    return path


def flip_and_verify(pristine: Path, work: Path, seed: int, region: str) -> None:
    shutil.copytree(pristine, work)
    data = work / fmt.DATA_FILE
    blob = bytearray(data.read_bytes())
    rng = random.Random(seed)
    page = 4096
    if region == "meta":
        pos = rng.randrange(0, 2 * page)
    elif region == "tail":  # the B-tree pages and last values written
        pos = rng.randrange(len(blob) - 6 * page, len(blob))
    else:
        pos = rng.randrange(len(blob))
    blob[pos] ^= 1 << rng.randrange(8)
    data.write_bytes(bytes(blob))
    proc = subprocess.run([sys.executable, "-m", "replay.cli", "verify", "--json", str(work)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode >= 0, (pos, f"died by signal {-proc.returncode}")
    assert "Traceback" not in proc.stderr + proc.stdout, (pos, proc.stderr[-800:])
    assert proc.returncode in (0, 1), (pos, proc.returncode, proc.stderr[-500:])
    doc = json.loads(proc.stdout)
    if proc.returncode == 0:
        assert doc["status"] == "CLEAN" and doc["n_records"] == doc["last_seq"] == N, (pos, doc)
    else:
        assert doc["status"] == "CORRUPT" and doc["findings"], (pos, doc)


@pytest.mark.parametrize("seed,region", [(1, "meta"), (2, "tail"), (3, "any")])
def test_a_flipped_bit_is_caught_or_harmless(pristine, tmp_path, seed, region):
    flip_and_verify(pristine, tmp_path / "j", seed, region)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 130))
@pytest.mark.parametrize("region", ["meta", "tail", "any"])
def test_many_flipped_bits_are_caught_or_harmless(pristine, tmp_path, seed, region):
    flip_and_verify(pristine, tmp_path / "j", seed, region)
