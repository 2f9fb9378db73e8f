"""BacktestNode: run identity, the run's log structure, inferred instruments, equity, report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from domain.codec import as_kind
from domain.enums import RunEndReason
from domain.kinds import Kind
from journal.reader import JournalReader
from journal.store import Journal
from journal.verify import verify_journal
from replay.backtest import BacktestNode, new_journal_dir
from replay.backtest_check import replay_check
from replay.backtest_data import open_source
from replay.commands.demo import DEMO_DATA
from replay.config import BacktestConfig, ConfigError, DataConfig, StrategyConfig
from replay.report import ReportExistsError, format_report, write_report
from tests.unit.test_backtest_helpers import T0, quotes, random_walk, run_quotes


def journal_records(path: str) -> np.ndarray:
    with Journal.open(path) as j:
        return JournalReader(j).records_between()


def config(path: str = "x.csv", seed: int = 0, journal: str | None = None) -> BacktestConfig:
    return BacktestConfig(data=[DataConfig(path)], strategies=[StrategyConfig("noop")],
                          seed=seed, journal=journal)


def test_run_id_comes_from_config_and_seed_not_from_where_it_is_journaled() -> None:
    a = BacktestNode(config(journal="/tmp/a")).run_id
    assert a == BacktestNode(config(journal="/tmp/b")).run_id
    assert a != BacktestNode(config(seed=1)).run_id
    assert a != BacktestNode(config(path="y.csv")).run_id


def test_new_journal_dirs_never_reuse_an_existing_folder(tmp_path: Path) -> None:
    first = new_journal_dir(tmp_path, "demo", 0xAB)
    assert first.name == "demo-00000000000000ab"
    first.mkdir()
    assert new_journal_dir(tmp_path, "demo", 0xAB).name == "demo-00000000000000ab-2"


def test_a_run_opens_with_its_manifest_and_ends_with_its_state_hash(tmp_path: Path) -> None:
    run = run_quotes(tmp_path, quotes(random_walk(300, seed=5)))
    recs = journal_records(run.journal)
    assert int(recs["seq"][0]) == 1 and int(recs["kind"][0]) == Kind.RUN_STARTED
    assert int(as_kind(recs[:1], Kind.RUN_STARTED)[0]["run_id"]) == run.run_id
    end = as_kind(recs[-1:], Kind.RUN_ENDED)[0]
    assert int(recs["kind"][-1]) == Kind.RUN_ENDED
    assert int(end["state_hash"]) == run.state_hash and int(end["reason"]) == RunEndReason.CLEAN
    assert int(end["n_records"]) == len(recs) == run.n_records
    kinds = recs["kind"].tolist()
    assert kinds.index(Kind.INSTRUMENT) < kinds.index(Kind.ACCOUNT_STATE) < kinds.index(Kind.QUOTE)
    assert verify_journal(run.journal).status.value == "CLEAN"


def test_replaying_the_journal_rebuilds_the_runs_state_hash(tmp_path: Path) -> None:
    run = run_quotes(tmp_path, quotes(random_walk(400, seed=9)))
    assert run.result.summary["n_fills"] > 0
    check = replay_check(run.journal, run.run_id, run.venue, 60_000_000_000)
    assert check.ok and check.rebuilt_state_hash == run.state_hash


def test_equity_is_sampled_on_the_interval_grid_from_the_starting_balance(tmp_path: Path) -> None:
    run = run_quotes(tmp_path, quotes(random_walk(600, seed=2)), equity_interval_ns=30 * 10**9)
    ts, eq = run.result.equity_ts_ns, run.result.equity
    assert ts[0] == T0 + 10**9  # the run's start: its first record's ts_init
    assert np.all(ts[1:-1] % (30 * 10**9) == 0) and np.all(np.diff(ts) > 0)
    assert int(eq[0]) == 100_000_000  # 1 000 000.00 USD in cents
    assert ts[-1] == T0 + 600 * 10**9  # the last point is the end of the run
    s = run.result.summary
    assert s["final_equity"] == f"{eq[-1] / 100:.2f}"


def test_inferred_instruments_quotes_csv_and_es_dbn(shared_data: Path) -> None:
    fx = open_source(DataConfig(str(DEMO_DATA)), ())  # eurusd-histdata-...: by its name
    assert fx.symbol == "EUR/USD.SIM" and fx.inferred
    assert fx.instrument.price_precision == 5 and fx.instrument.instrument_class.name == "FX_PAIR"
    jpy = open_source(DataConfig(str(shared_data / "usdjpy-ticks.csv")), ())
    assert jpy.symbol == "USD/JPY.SIM"
    es = open_source(DataConfig(str(shared_data / "esh4-glbx-mdp3-20231225.mbo.dbn.zst")), ())
    assert es.symbol == "ESH4.GLBX" and es.book_level == 3
    assert str(es.instrument.tick_size) == "0.25" and str(es.instrument.multiplier) == "50"


def test_instrument_option_names_a_quotes_file(shared_data: Path) -> None:
    src = open_source(DataConfig(str(shared_data / "quote_tick_data.csv"),
                                 instrument_id="AUD/USD.SIM"), ())
    assert src.symbol == "AUD/USD.SIM" and not src.inferred


def test_report_directory_is_complete_and_never_overwritten(tmp_path: Path) -> None:
    run = run_quotes(tmp_path, quotes(random_walk(400, seed=4)))
    out, _ = write_report(run, tmp_path / "report")
    names = sorted(p.name for p in out.iterdir())
    assert {"summary.json", "orders.csv", "fills.csv", "positions.csv", "equity.csv"} <= set(names)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_orders"] == run.result.summary["n_orders"]
    assert summary["state_hash"] == f"{run.state_hash:016x}"
    assert len((out / "fills.csv").read_text().splitlines()) == 1 + summary["n_fills"]
    with pytest.raises(ReportExistsError, match="already exists"):
        write_report(run, out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".report.tmp")]
    assert "state hash" in format_report(run)


def test_a_node_without_data_or_strategies_is_refused() -> None:
    with pytest.raises(ConfigError, match="at least one data file"):
        BacktestNode(BacktestConfig(strategies=[StrategyConfig("noop")]))
    with pytest.raises(ConfigError, match="at least one strategy"):
        BacktestNode(BacktestConfig(data=[DataConfig("x.csv")]))


def test_durability_none_lets_the_journal_lag_yet_journals_the_records_of_sync(
        tmp_path: Path) -> None:
    recs = quotes(random_walk(6000, seed=11))
    lagged = run_quotes(tmp_path / "none", recs, durability="none")
    synced = run_quotes(tmp_path / "sync", recs, durability="sync")
    assert lagged.result.summary["n_orders"] > 50
    assert lagged.state_hash == synced.state_hash
    a, b = journal_records(lagged.journal), journal_records(synced.journal)
    assert len(a) == lagged.n_records > 6000
    assert a.tobytes() == b.tobytes()
