"""Sweep specs, grids and the results table: grid order, refused grids, ranking, TOML form."""

from __future__ import annotations

from pathlib import Path

import pytest

from replay.config import BacktestConfig, ConfigError, DataConfig, StrategyConfig
from replay.sweep import SweepSpec, load_sweep_toml, parse_grid
from replay.sweep.heatmap import heatmap_cells
from replay.sweep.table import best_rows, write_csv

BASE = BacktestConfig(data=[DataConfig("quotes.csv")])


def test_grid_values_parse_like_params_and_the_last_key_varies_fastest() -> None:
    grid = parse_grid(["fast=5,10", "slow=30, 60", "mode=a,true,1.5"])
    assert grid == {"fast": (5, 10), "slow": (30, 60), "mode": ("a", True, 1.5)}
    spec = SweepSpec(BASE, "ema_cross", {"fast": (5, 10), "slow": (30, 60)}, {"trade_size": 7})
    points = spec.points()
    assert [p.params for p in points] == [{"fast": 5, "slow": 30}, {"fast": 5, "slow": 60},
                                          {"fast": 10, "slow": 30}, {"fast": 10, "slow": 60}]
    assert points[1].config.strategies == (
        StrategyConfig("ema_cross", {"trade_size": 7, "fast": 5, "slow": 60}),)
    assert len({p.run_id for p in points}) == 4


def test_a_points_run_id_is_the_run_id_of_the_same_backtest_config() -> None:
    from replay.backtest import BacktestNode

    point = SweepSpec(BASE, "ema_cross", {"fast": (5,)}, {"slow": 30}).points()[0]
    alone = BacktestConfig(data=[DataConfig("quotes.csv")],
                           strategies=[StrategyConfig("ema_cross", {"slow": 30, "fast": 5})])
    assert point.run_id == BacktestNode(alone).run_id


@pytest.mark.parametrize("items, words", [
    (["fast"], "--grid must be KEY=V1,V2"),
    (["fast="], "--grid must be KEY=V1,V2"),
    (["fast=1", "fast=2"], "given twice"),
])
def test_bad_grid_options_are_refused_naming_the_item(items: list[str], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        parse_grid(items)


@pytest.mark.parametrize("grid, metric, words", [
    ({}, "sharpe", "at least one --grid"),
    ({"sharpe": (1, 2)}, "sharpe", "names a results column"),
    ({"fast": (5, 5)}, "sharpe", "repeats a value"),
    ({"fast": (5,)}, "luck", "metric must be one of"),
])
def test_bad_specs_are_refused_with_the_rule(grid: dict, metric: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        SweepSpec(BASE, "ema_cross", grid, metric=metric)


def test_best_rows_rank_by_metric_with_undefined_last_and_drawdown_lower_is_better() -> None:
    rows = [{"point": 0, "sharpe": None, "max_drawdown_pct": 0.2, "total_pnl": "-1.5"},
            {"point": 1, "sharpe": 1.5, "max_drawdown_pct": 0.1, "total_pnl": "10.25"},
            {"point": 2, "sharpe": 2.5, "max_drawdown_pct": 0.3, "total_pnl": "3"},
            {"point": 3, "sharpe": 1.5, "max_drawdown_pct": None, "total_pnl": None}]
    assert [r["point"] for r in best_rows(rows, "sharpe", 4)] == [2, 1, 3, 0]
    assert [r["point"] for r in best_rows(rows, "max_drawdown_pct", 4)] == [1, 0, 2, 3]
    assert [r["point"] for r in best_rows(rows, "total_pnl", 2)] == [1, 2]


def test_heatmap_cells_keep_the_best_over_other_keys_and_blank_faulted_points() -> None:
    rows = [{"a": 1, "b": "x", "c": 0, "sharpe": 1.0}, {"a": 1, "b": "x", "c": 1, "sharpe": 3.0},
            {"a": 2, "b": "x", "c": 0, "sharpe": None}, {"a": 2, "b": "y", "c": 0, "sharpe": -1}]
    assert heatmap_cells(rows, "a", "b", "sharpe", [1, 2], ["x", "y"]) == [[3.0, None],
                                                                          [None, -1.0]]


def test_csv_cells_flatten_money_by_currency_and_leave_undefined_empty(tmp_path: Path) -> None:
    rows = [{"point": 0, "fast": 5, "realized_pnl": {"EUR": "-3", "USD": "12.5"}, "sharpe": None}]
    text = write_csv(rows, tmp_path / "t.csv").read_text()
    assert text == 'point,fast,realized_pnl,sharpe\n0,5,-3 EUR; 12.5 USD,\n'


def test_a_sweep_toml_file_is_a_backtest_config_with_a_sweep_table(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('seed = 3\n[[data]]\npath = "q.csv"\n\n[sweep]\nstrategy = "ema_cross"\n'
                    'metric = "total_pnl"\nout = "o"\nworkers = 2\n'
                    'params = { trade_size = 1000 }\n[sweep.grid]\nfast = [5, 10]\nslow = [30]\n')
    spec, options = load_sweep_toml(path)
    assert spec.base.seed == 3 and spec.base.data == (DataConfig("q.csv"),)
    assert spec.grid == {"fast": (5, 10), "slow": (30,)} and spec.params == {"trade_size": 1000}
    assert spec.metric == "total_pnl" and options == {"out": "o", "workers": 2}
    path.write_text('[[data]]\npath = "q.csv"\n[sweep]\nstrategy = "x"\nbogus = 1\n')
    with pytest.raises(ConfigError, match=r"s\.toml: sweep: unknown key 'bogus'"):
        load_sweep_toml(path)
