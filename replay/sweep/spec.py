"""What a sweep is: a base backtest config, one strategy, and a grid of its parameters.

Design contract:
- a point is the base config with the strategy's params = base params | the point's grid values;
  its run id is that config's, as ``ringbus backtest`` would compute it, so a point's journal is
  the journal of the same backtest run alone;
- points are the grid's cartesian product in a fixed order: the grid's keys in the order given,
  the last key varying fastest (``fast=5,10 slow=30,60`` -> (5,30) (5,60) (10,30) (10,60));
- a grid key that is empty, repeated, or that names a column of the results table is refused.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import attrs

from replay.backtest import BacktestNode
from replay.config import (
    BacktestConfig,
    ConfigError,
    StrategyConfig,
    config_from_dict,
    read_toml,
)
from replay.strategy_registry import parse_value
from replay.sweep.table import COLUMNS, METRICS


@attrs.frozen
class Point:
    """One point of a sweep: its index in grid order, its grid values and its backtest config."""

    index: int
    params: dict[str, Any]
    config: BacktestConfig

    @property
    def run_id(self) -> int:
        """The run id of this point's backtest (and the name of its journal folder)."""
        return BacktestNode(self.config).run_id


@attrs.frozen
class SweepSpec:
    """A sweep: ``strategy`` with ``params`` over ``grid`` (key -> values), on ``base``."""

    base: BacktestConfig
    strategy: str
    grid: dict[str, tuple[Any, ...]]
    params: dict[str, Any] = attrs.field(factory=dict)
    metric: str = "sharpe"

    def __attrs_post_init__(self) -> None:
        if not self.grid:
            raise ConfigError("grid: a sweep needs at least one --grid KEY=V1,V2,..., got none")
        for key, values in self.grid.items():
            if not key or key in COLUMNS or key == "point":
                raise ConfigError(f"grid: key {key!r} is empty or names a results column")
            if not values:
                raise ConfigError(f"grid: {key} has no values")
            if len(set(map(repr, values))) != len(values):
                raise ConfigError(f"grid: {key} repeats a value: {list(values)}")
        if self.metric not in METRICS:
            raise ConfigError(f"metric must be one of {list(METRICS)}, got {self.metric!r}")
        if not self.base.data:
            raise ConfigError("data: a sweep needs at least one data file, got none")

    def points(self) -> list[Point]:
        """Returns the grid's points in grid order (see the module contract)."""
        keys = list(self.grid)
        out = []
        for i, values in enumerate(itertools.product(*(self.grid[k] for k in keys))):
            point = dict(zip(keys, values, strict=True))
            strategy = StrategyConfig(self.strategy, {**self.params, **point})
            out.append(Point(i, point, attrs.evolve(self.base, strategies=[strategy])))
        return out


def parse_grid(items: list[str]) -> dict[str, tuple[Any, ...]]:
    """Parses ``["fast=5,10,20", "slow=30,60"]`` (values as ``--param`` parses them)."""
    grid: dict[str, tuple[Any, ...]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip()
        if not sep or not key or not values.strip():
            raise ConfigError(f"--grid must be KEY=V1,V2,..., got {item!r}")
        if key in grid:
            raise ConfigError(f"--grid {key} given twice")
        grid[key] = tuple(parse_value(v.strip()) for v in values.split(","))
    return grid


#: keys of a TOML file's ``[sweep]`` table
SWEEP_KEYS = {"strategy", "params", "grid", "metric", "out", "workers", "scheduler"}


def load_sweep_toml(path: str | Path) -> tuple[SweepSpec, dict[str, Any]]:
    """Loads a sweep file: a backtest config whose ``[sweep]`` table names the strategy, its
    fixed ``params``, the ``grid`` (key = [values]) and optionally ``metric``, ``out``,
    ``workers``, ``scheduler``. Returns the spec and those run options."""
    path = Path(path)
    values = read_toml(path, "sweep file")
    sweep = values.pop("sweep", None)
    if not isinstance(sweep, dict):
        raise ConfigError(f"{path}: a sweep file needs a [sweep] table")
    unknown = sorted(set(sweep) - SWEEP_KEYS)
    if unknown:
        raise ConfigError(f"{path}: sweep: unknown key {unknown[0]!r} (known: {sorted(SWEEP_KEYS)})")
    if values.get("strategies"):
        raise ConfigError(f"{path}: strategies: a sweep file names its strategy in [sweep]")
    grid = sweep.get("grid", {})
    if not isinstance(grid, dict) or not all(isinstance(v, list) for v in grid.values()):
        raise ConfigError(f"{path}: sweep.grid must be a table of lists, got {grid!r}")
    if "strategy" not in sweep:
        raise ConfigError(f"{path}: sweep.strategy is missing")
    base = config_from_dict(values, where=str(path))
    try:
        spec = SweepSpec(base, str(sweep["strategy"]), {k: tuple(v) for k, v in grid.items()},
                         dict(sweep.get("params", {})), str(sweep.get("metric", "sharpe")))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    options = {k: sweep[k] for k in ("out", "workers", "scheduler") if k in sweep}
    return spec, options
