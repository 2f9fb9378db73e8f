"""``ringbus check`` / ``ringbus verify`` over many journals: each reported as alone, in the
order given, then a summary; exit 1 when any journal has a finding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replay.testing.journal_io import write_journal
from replay.testing.streams import build
from tests.e2e.test_cli_check import INST, quotes, ringbus


@pytest.fixture(scope="module")
def journals(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("many")
    return [write_journal(build(INST, quotes(60 + i, crossed_at=30 if i == 6 else None)),
                          root / f"day-{i:02d}") for i in range(10)]


def test_check_over_ten_journals_on_two_workers_exits_1_naming_the_violation(
        journals: list[Path]) -> None:
    pytest.importorskip("distributed")
    r = ringbus("check", *map(str, journals), "--workers", "2")
    assert r.returncode == 1
    alone = ringbus("check", str(journals[6]))
    assert alone.returncode == 1 and alone.stderr in r.stderr  # exactly as alone
    assert "VIOLATION quote_not_crossed" in r.stderr
    oks = [line for line in r.stdout.splitlines() if line.startswith("OK ")]
    assert oks == [ringbus("check", str(j)).stdout.strip() for j in journals if j != journals[6]]
    assert r.stderr.rstrip().endswith(
        f"check: 10 journals: 9 ok, 1 with findings, 0 unreadable\n  findings: {journals[6]}")


def test_check_json_over_many_journals_is_one_object_with_each_result(
        journals: list[Path], tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    r = ringbus("check", str(journals[0]), str(journals[6]), str(missing), "--json",
                "--workers", "0")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert [d["exit_code"] for d in doc["journals"]] == [0, 1, 2]
    assert doc["journals"][1]["result"]["violations"][0]["invariant"] == "quote_not_crossed"
    assert "not a journal" in doc["journals"][2]["stderr"]
    assert doc["summary"]["with_findings"] == [str(journals[6])]
    assert doc["summary"]["unreadable"] == [str(missing)]


def test_verify_over_many_journals_reports_each_and_exits_by_the_worst(
        journals: list[Path], tmp_path: Path) -> None:
    r = ringbus("verify", *map(str, journals[:3]), "--workers", "0")
    assert r.returncode == 0
    assert r.stdout.count("CLEAN ") == 3 and "verify: 3 journals: 3 ok" in r.stdout
    r = ringbus("verify", str(journals[0]), str(tmp_path / "nope"), "--workers", "0")
    assert r.returncode == 2 and "UNREADABLE" in r.stdout + r.stderr
    r = ringbus("verify", str(journals[0]), str(journals[1]), "--reexecute", "--out",
                str(tmp_path / "o"))
    assert r.returncode == 2 and "--out goes with one journal" in r.stderr
