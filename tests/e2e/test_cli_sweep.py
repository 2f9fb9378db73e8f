"""``ringbus sweep`` end to end: the flag form, the TOML form with ``--json``, resuming, the
heatmap, and bad input (exit 2, one line naming what is wrong)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.e2e.test_cli_check import ringbus
from tests.sweep_support import quotes_slice


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    return quotes_slice(shared_data, 2000, tmp_path_factory.mktemp("data"))


def test_the_flag_form_writes_the_table_and_prints_the_best_points(
        data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = ringbus("sweep", "--strategy", "ema_cross", "--grid", "fast=5,10", "--grid",
                "slow=30,60", "--param", "trade_size=1000", "--data", str(data), "--out",
                str(out), "--workers", "0", "--metric", "total_pnl", "--top", "2")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "4 points (4 ran), 0 FAULTED; best by total_pnl:"
    assert lines[1].split()[:3] == ["fast", "slow", "total_pnl"]
    with (out / "results.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [(row["fast"], row["slow"]) for row in rows] == [("5", "30"), ("5", "60"),
                                                            ("10", "30"), ("10", "60")]
    best = max(rows, key=lambda row: float(row["total_pnl"]))
    assert lines[2].split()[:3] == [best["fast"], best["slow"], best["total_pnl"]]
    assert all((out / row["journal"] / "data.mdb").is_file() for row in rows)
    again = ringbus("sweep", "--strategy", "ema_cross", "--grid", "fast=5,10", "--grid",
                    "slow=30,60", "--param", "trade_size=1000", "--data", str(data), "--out",
                    str(out), "--workers", "0", "--metric", "total_pnl")
    assert again.stdout.startswith("4 points (4 skipped), 0 FAULTED")


def test_the_toml_form_with_json_prints_one_object_and_draws_the_heatmap(
        data: Path, tmp_path: Path) -> None:
    config = tmp_path / "sweep.toml"
    config.write_text(f'[[data]]\npath = "{data}"\n\n[sweep]\nstrategy = "ema_cross"\n'
                      f'out = "{tmp_path / "o"}"\nworkers = 0\n'
                      '[sweep.grid]\nfast = [5, 10, 20]\nslow = [40]\n')
    r = ringbus("sweep", "--config", str(config), "--grid", "slow=40,80", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["points"] == {"ran": 6} and doc["n_faulted"] == 0
    assert [(row["fast"], row["slow"]) for row in doc["rows"]][:2] == [(5, 40), (5, 80)]
    assert json.loads(Path(doc["json"]).read_text())["rows"] == doc["rows"]
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert doc["heatmap"] is None
    else:
        assert Path(doc["heatmap"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("args, words", [
    (["--grid", "fast=5"], "--strategy is required"),
    (["--strategy", "ema_cross"], "at least one --grid"),
    (["--strategy", "nope", "--grid", "fast=5"], "strategy 'nope': not a built-in"),
    (["--strategy", "ema_cross", "--grid", "fast"], "--grid must be KEY=V1,V2"),
    (["--strategy", "ema_cross", "--grid", "fast=5", "--metric", "luck"], "metric must be"),
    (["--strategy", "ema_cross", "--grid", "fast=5,10", "--grid", "slow=30",
      "--heatmap", "fast,bogus"], "heatmap axes must be two different grid keys"),
])
def test_bad_input_exits_2_with_the_reason_and_runs_nothing(
        data: Path, tmp_path: Path, args: list[str], words: str) -> None:
    r = ringbus("sweep", *args, "--data", str(data), "--out", str(tmp_path / "o"),
                "--workers", "0")
    assert r.returncode == 2 and words in r.stderr, r.stderr
    assert not (tmp_path / "o" / "journals").exists()


def test_a_missing_data_file_exits_2_naming_it(tmp_path: Path) -> None:
    r = ringbus("sweep", "--strategy", "ema_cross", "--grid", "fast=5", "--data",
                str(tmp_path / "none.csv"), "--workers", "0", "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and f"{tmp_path / 'none.csv'}: no such data file" in r.stderr


def test_the_docs_python_api_and_toml_examples_run(shared_data: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import re

    from replay.sweep import load_sweep_toml

    docs = (Path(__file__).resolve().parents[2] / "docs" / "sweeps.md").read_text()
    toml = re.findall(r"```toml\n(.*?)```", docs, flags=re.S)[0]
    (tmp_path / "sweep.toml").write_text(toml)
    spec, options = load_sweep_toml(tmp_path / "sweep.toml")
    assert len(spec.points()) == 6 and options == {"out": "sweep-eurusd", "workers": 2}
    block = re.findall(r"```python\n(.*?)```", docs, flags=re.S)[0]
    assert "workers=2" in block
    quotes_slice(shared_data, 1500, tmp_path).rename(tmp_path / "quotes.csv")
    monkeypatch.chdir(tmp_path)
    exec(compile(block.replace("workers=2", "workers=0"), "docs/sweeps.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 3 and all(line.split()[-1].startswith("journals/") for line in printed)
