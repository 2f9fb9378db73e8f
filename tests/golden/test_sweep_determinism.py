"""A 6-point sweep gives the same table and state hashes in process, on one worker and on a
two-worker LocalCluster; a point's journal is byte-identical to the same backtest run alone;
each worker reads the data file once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from journal.reader import JournalReader  # noqa: E402
from journal.store import Journal  # noqa: E402
from replay.config import BacktestConfig, DataConfig  # noqa: E402
from replay.dist import open_client  # noqa: E402
from replay.sweep import SweepSpec, run_sweep  # noqa: E402
from tests.sweep_support import quotes_slice  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
GRID = {"fast": (5, 10, 20), "slow": (40, 80)}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    return quotes_slice(shared_data, 4000, tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def spec(data: Path) -> SweepSpec:
    return SweepSpec(BacktestConfig(data=[DataConfig(str(data))]), "ema_cross", GRID)


@pytest.fixture(scope="module")
def sequential(spec: SweepSpec, tmp_path_factory: pytest.TempPathFactory):
    return run_sweep(spec, tmp_path_factory.mktemp("seq"), workers=0)


def records(journal: Path) -> bytes:
    with Journal.open(journal) as j:
        return JournalReader(j).records_between().tobytes()


def same_table(other, sequential) -> None:
    assert other.how == {"ran": 6}
    assert other.rows == sequential.rows
    assert other.csv.read_bytes() == sequential.csv.read_bytes()
    assert other.json.read_bytes() == sequential.json.read_bytes()
    for row in other.rows:
        assert records(other.out / row["journal"]) == records(sequential.out / row["journal"])


def _loads() -> dict[str, int]:
    from replay.sweep import data_cache

    return dict(data_cache.loads)


def test_two_workers_give_the_sequential_table_and_journals_byte_for_byte(
        spec: SweepSpec, sequential, tmp_path: Path) -> None:
    assert [r["status"] for r in sequential.rows] == ["CLEAN"] * 6
    assert len({r["state_hash"] for r in sequential.rows}) == 6
    with open_client(workers=2) as client:
        assert len(client.nthreads()) == 2
        two = run_sweep(spec, tmp_path / "two", client=client)
        loads = client.run(_loads)
    per_worker = [n for per in loads.values() for n in per.values()]
    assert per_worker and all(n == 1 for n in per_worker), loads  # once per worker, not task
    same_table(two, sequential)


def test_one_worker_gives_the_sequential_table_byte_for_byte(
        spec: SweepSpec, sequential, tmp_path: Path) -> None:
    same_table(run_sweep(spec, tmp_path / "one", workers=1), sequential)


def test_a_points_journal_is_byte_identical_to_the_backtest_run_alone(
        sequential, data: Path, tmp_path: Path) -> None:
    row = sequential.rows[3]
    assert (row["fast"], row["slow"]) == (10, 80)
    out = subprocess.run(
        [sys.executable, "-m", "replay.cli", "backtest", "--strategy", "ema_cross", "--param",
         "fast=10", "--param", "slow=80", "--data", str(data), "--journal",
         str(tmp_path / "alone"), "--json", "--quiet"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=300, check=True)
    alone = json.loads(out.stdout)
    assert (alone["run_id"], alone["state_hash"]) == (row["run_id"], row["state_hash"])
    assert (alone["n_fills"], alone["last_seq"]) == (row["n_fills"], row["last_seq"])
    assert records(tmp_path / "alone") == records(sequential.out / row["journal"])
