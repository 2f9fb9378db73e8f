"""Backtest configs: TOML round trip into attrs classes, canonical hashing, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from replay.backtest import BacktestNode
from replay.config import BacktestConfig, ConfigError, load_toml

TOML = """
seed = 7
equity_interval_ns = 30_000_000_000

[[venues]]
name = "SIM"
account_type = "MARGIN"
starting_balances = ["500000 USD"]

[[instruments]]
id = "EUR/USD.SIM"
price_precision = 5

[[data]]
path = "{data}"
instrument_id = "EUR/USD.SIM"

[[strategies]]
name = "ema_cross"
params = {{ fast = 5, slow = 12, trade_size = 10000 }}

[risk]
max_open_orders = 5
"""


def test_a_toml_config_loads_into_typed_classes(tmp_path: Path) -> None:
    path = tmp_path / "bt.toml"
    path.write_text(TOML.format(data="quotes.csv"))
    cfg = load_toml(path)
    assert cfg.seed == 7 and cfg.venues[0].starting_balances == ("500000 USD",)
    assert cfg.strategies[0].params == {"fast": 5, "slow": 12, "trade_size": 10000}
    assert cfg.instruments[0].price_precision == 5 and cfg.risk == {"max_open_orders": 5}
    assert cfg.config_hash() == load_toml(path).config_hash()


def test_a_toml_config_runs_a_backtest(tmp_path: Path, shared_data: Path) -> None:
    path = tmp_path / "bt.toml"
    path.write_text(TOML.format(data=shared_data / "quote_tick_data.csv"))
    cfg = load_toml(path)
    cfg = BacktestConfig(**{**_fields(cfg), "journal": str(tmp_path / "j")})
    run = BacktestNode(cfg).run()
    assert run.result.summary["starting_equity"] == "500000.00"
    assert run.result.orders[0]["quantity"] == "10000"
    assert run.result.summary["n_orders"] > 0


def _fields(cfg: BacktestConfig) -> dict:
    import attrs

    return {f.name: getattr(cfg, f.name) for f in attrs.fields(BacktestConfig)}


def test_unknown_keys_and_bad_values_name_the_key_and_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[venues]]\nname = "SIM"\naccount = "X"\n')
    with pytest.raises(ConfigError, match=r"bad.toml: venues\[0\]: unknown key 'account'"):
        load_toml(path)
    path.write_text('durability = "fast"\n')
    with pytest.raises(ConfigError, match="durability must be one of"):
        load_toml(path)
    with pytest.raises(ConfigError, match="no such config file"):
        load_toml(tmp_path / "missing.toml")
