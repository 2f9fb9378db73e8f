"""The journal-format data catalog: ingest once, read back as a backtest source, verify, list."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from domain.kinds import Kind
from journal.reader import JournalReader
from journal.store import Journal
from journal.verify import verify_journal
from replay.backtest import BacktestNode
from replay.catalog import CatalogError, read_catalog
from replay.catalog_ingest import ingest
from replay.catalog_source import iter_catalog_records
from replay.config import BacktestConfig, DataConfig, StrategyConfig
from replay.loaders.dbn import load_dbn
from replay.loaders.errors import DataError

ES = "esh4-glbx-mdp3-20231225.mbo.dbn.zst"
ROOT = Path(__file__).resolve().parents[2]


def test_ingest_writes_the_loader_records_into_a_journal_that_verifies(tmp_path: Path,
                                                                        shared_data: Path) -> None:
    (entry,) = ingest([shared_data / ES], tmp_path / "cat")
    assert (entry.symbol, entry.format, entry.records, entry.book_level) == (
        "ESH4.GLBX", "dbn", 68_792, 3)
    assert verify_journal(tmp_path / "cat" / entry.dir).status.value == "CLEAN"
    got = np.concatenate(list(iter_catalog_records(tmp_path / "cat" / entry.dir)))
    want = load_dbn(shared_data / ES, 0, price_precision=2)
    assert got.tobytes() == want.tobytes()
    assert (entry.first_ts_init, entry.last_ts_init) == (int(want["ts_init"][0]),
                                                         int(want["ts_init"][-1]))
    assert read_catalog(tmp_path / "cat") == [entry]


def _run(tmp_path: Path, data: str, name: str, **kw: object) -> object:
    return BacktestNode(BacktestConfig(data=[DataConfig(data, **kw)],
                                       strategies=[StrategyConfig("noop")],
                                       journal=str(tmp_path / name))).run()


def _market(journal: str) -> np.ndarray:
    with Journal.open(journal) as j:
        recs = JournalReader(j).records_between()
    return recs[recs["kind"] == Kind.BOOK_DELTA]


def test_a_backtest_from_the_catalog_journals_what_one_from_the_file_does(
        tmp_path: Path, shared_data: Path) -> None:
    ingest([shared_data / ES, shared_data / "bitmex_trades_XBTUSD.csv"], tmp_path / "cat")
    direct = _run(tmp_path, str(shared_data / ES), "direct", instrument_id="ESH4.GLBX")
    cat = _run(tmp_path, str(tmp_path / "cat"), "cat", instrument_id="ESH4.GLBX")
    assert cat.n_records == direct.n_records
    assert cat.instruments == direct.instruments
    market = _market(cat.journal)
    assert len(market) == 68_792 and market.tobytes() == _market(direct.journal).tobytes()
    with pytest.raises(CatalogError, match="give --instrument"):
        _run(tmp_path, str(tmp_path / "cat"), "ambiguous")


def test_bad_input_is_refused_and_a_non_catalog_directory_is_not_overwritten(
        tmp_path: Path) -> None:
    bad = tmp_path / "eurusd-q.csv"
    bad.write_text("timestamp,bid,ask\n1,1.1,1.2\n2,nan,1.2\n")
    with pytest.raises(DataError, match="eurusd-q.csv:3: field 'bid'"):
        ingest([bad], tmp_path / "cat")
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.txt").write_text("mine")
    with pytest.raises(CatalogError, match="not a catalog"):
        ingest([bad], other)


def test_the_cli_ingests_and_lists_with_time_ranges_and_counts(tmp_path: Path,
                                                               shared_data: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "replay.cli", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)

    cat = str(tmp_path / "cat")
    out = cli("ingest", str(shared_data / "usdjpy-ticks.csv"), "--catalog", cat)
    assert out.returncode == 0, out.stderr
    listed = cli("catalog", cat, "--verify", "--json")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)["instruments"]
    assert (row["symbol"], row["records"], row["verify"]) == ("USD/JPY.SIM", 1000, "CLEAN")
    assert row["first_ts_init"] < row["last_ts_init"]
    text = cli("catalog", cat).stdout
    assert "USD/JPY.SIM" in text and "1,000 records" in text and "2013-01-01" in text
    assert cli("catalog", str(tmp_path)).returncode == 2
