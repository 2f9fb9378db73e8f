"""noop keeps the batch path; market_maker quotes both sides on the tick grid within limits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from domain.instruments import Instrument
from replay.backtest import BacktestNode
from replay.backtest_data import DataSource
from replay.config import BacktestConfig, StrategyConfig
from replay.loaders.dbn import load_dbn
from replay.strategy_registry import StrategyLoadError, parse_params, parse_value, resolve_strategy
from tests.unit.test_backtest_helpers import quotes, random_walk, run_quotes

ES = "esh4-glbx-mdp3-20231225.mbo.dbn.zst"


def test_noop_publishes_quotes_in_batches_not_one_at_a_time(tmp_path: Path) -> None:
    run = run_quotes(tmp_path, quotes(random_walk(5000, seed=1)), strategy="noop")
    # the merge yields a source's last record on its own (it waits for ties at the horizon)
    assert run.loop.one_at_a_time <= 1
    assert run.loop.batches >= 1
    assert run.result.summary["n_orders"] == 0


def es_run(tmp_path: Path, shared_data: Path, **params: object):
    records = load_dbn(shared_data / ES, 0, price_precision=2)[:12_000]
    inst = Instrument.future("ESH4.GLBX")
    source = DataSource.from_records(inst, [records], book_level=3, name="es-head")
    cfg = BacktestConfig(strategies=[StrategyConfig("market_maker", params)],
                         journal=str(tmp_path / "j"))
    return BacktestNode(cfg, data=[source]).run()


def test_market_maker_quotes_both_sides_on_the_tick_grid(tmp_path: Path, shared_data: Path) -> None:
    run = es_run(tmp_path, shared_data, half_spread_ticks=2)
    orders = run.result.orders
    assert {o["side"] for o in orders} == {"BUY", "SELL"}
    assert all(o["type"] == "LIMIT" for o in orders)
    assert all(float(o["price"]) * 4 == int(float(o["price"]) * 4) for o in orders)
    assert any(o["status"] == "CANCELED" for o in orders)  # requoted on mid moves
    by_ts: dict[int, dict[str, float]] = {}
    for o in orders:
        by_ts.setdefault(o["ts_init"], {})[o["side"]] = float(o["price"])
    assert all(p["BUY"] < p["SELL"] for p in by_ts.values() if len(p) == 2)


def test_market_maker_with_no_inventory_allowed_quotes_nothing(tmp_path: Path,
                                                               shared_data: Path) -> None:
    assert es_run(tmp_path, shared_data, max_inventory=0).result.summary["n_orders"] == 0


def test_registry_resolves_builtins_and_module_class_specs() -> None:
    assert resolve_strategy("noop").__name__ == "Noop"
    assert resolve_strategy("engines.strategies.ema_cross:EmaCross").__name__ == "EmaCross"
    with pytest.raises(StrategyLoadError, match="not a built-in"):
        resolve_strategy("nope")
    with pytest.raises(StrategyLoadError, match="not a Strategy subclass"):
        resolve_strategy("json:dumps")
    with pytest.raises(StrategyLoadError, match="cannot import"):
        resolve_strategy("no_such_module_xyz:Foo")


def test_params_parse_as_int_float_bool_or_text() -> None:
    assert [parse_value(v) for v in ("5", "2.5", "true", "False", "EUR/USD.SIM")] == \
        [5, 2.5, True, False, "EUR/USD.SIM"]
    assert parse_params(["fast=5", "slow = 30"]) == {"fast": 5, "slow": 30}
    with pytest.raises(StrategyLoadError, match="key=value"):
        parse_params(["fast"])
    assert np.isclose(parse_value("1e-3"), 0.001)
