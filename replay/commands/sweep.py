"""``ringbus sweep``: run a backtest for every point of a parameter grid, on Dask, into a table.

Two forms: ``--strategy S --grid fast=5,10,20 --grid slow=30,60 --data FILE ...`` (the data,
balance and journal options of ``ringbus backtest``), or ``--config sweep.toml`` (a backtest
config with a ``[sweep]`` table; ``--strategy``, ``--param``, ``--grid``, ``--metric``,
``--out``, ``--workers`` and ``--scheduler`` override it).

Exit codes: 0 the sweep completed (FAULTED points are rows of its table); 2 bad usage or bad
input (a strategy, data file or grid that cannot be used), one line on stderr; 1 the job
itself failed (a point whose worker died too often, a lost scheduler).
"""

from __future__ import annotations

import argparse
from typing import Any

from replay.commands.backtest import add_run_arguments

#: backtest options the sweep passes through (``ringbus backtest`` parses them the same way)
DATA_OPTIONS = ("data", "data_option", "instrument", "balance", "durability", "seed",
                "snapshot_every", "snapshot_interval_ns", "order_history", "keep_records")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="SWEEP.toml",
                        help="sweep file: a backtest config with a [sweep] table")
    parser.add_argument("--strategy", metavar="NAME|module:Class", help="the strategy swept")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="a fixed strategy parameter; repeatable")
    parser.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...",
                        help="a swept parameter and its values; repeatable (the points are "
                        "the product)")
    add_run_arguments(parser)  # applied to every point
    parser.add_argument("--out", metavar="DIR", help="where journals and the table go "
                        "(default ./sweep); re-running into it resumes the sweep")
    parser.add_argument("--workers", type=int, metavar="N", help="local worker processes "
                        "(default: the CPU count; 0: run in this process, no Dask)")
    parser.add_argument("--scheduler", metavar="ADDR", help="a running Dask scheduler, "
                        "e.g. tcp://10.0.0.5:8786 (its workers must see --out and the data)")
    parser.add_argument("--metric", help="metric ranking the points and drawn in the heatmap "
                        "(default sharpe)")
    parser.add_argument("--heatmap", metavar="X,Y", help="the two grid keys of the heatmap "
                        "(default: the first two)")
    parser.add_argument("--top", type=int, default=5, help="best points printed (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quiet", action="store_true", help="no progress line")


def build_spec(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """Returns the SweepSpec of the command line and its run options (out, workers, scheduler)."""
    import attrs

    from replay.commands.backtest import build_config
    from replay.config import BacktestConfig, ConfigError
    from replay.strategy_registry import parse_params
    from replay.sweep import SweepSpec, load_sweep_toml, parse_grid

    grid, params = parse_grid(args.grid), parse_params(args.param)
    if args.config:
        given = [f"--{n.replace('_', '-')}" for n in DATA_OPTIONS if getattr(args, n) not in
                 (None, [])]
        if given:
            raise ConfigError(f"{args.config}: give {', '.join(given)} in the sweep file, "
                              "not on the command line")
        spec, options = load_sweep_toml(args.config)
        changes: dict[str, Any] = {"params": {**spec.params, **params},
                                   "grid": {**spec.grid, **grid}}
        if args.strategy:
            changes["strategy"] = args.strategy
        if args.metric:
            changes["metric"] = args.metric
        spec = attrs.evolve(spec, **changes)
    else:
        if not args.strategy:
            raise ConfigError("--strategy is required (or --config SWEEP.toml)")
        ns = argparse.Namespace(config=None, strategy=[], param=[], journal=None,
                                **{n: getattr(args, n) for n in DATA_OPTIONS})
        base: BacktestConfig = build_config(ns)
        spec = SweepSpec(base, args.strategy, grid, params, args.metric or "sharpe")
        options = {}
    for name in ("out", "workers", "scheduler"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    return spec, options


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from replay.commands.backtest import bad_input_errors
    from replay.dist import DistUnavailable
    from replay.sweep import run_sweep

    try:
        spec, options = build_spec(args)
        axes = tuple(args.heatmap.split(",")) if args.heatmap else None
        if axes is not None and len(axes) != 2:
            raise ValueError(f"--heatmap must be X,Y (two grid keys), got {args.heatmap!r}")
        result = run_sweep(spec, options.get("out", "sweep"), workers=options.get("workers"),
                           scheduler=options.get("scheduler"),
                           progress=not args.quiet and not args.json, heatmap_axes=axes)
    except (*bad_input_errors(), DistUnavailable) as exc:
        sys.stderr.write(f"ringbus sweep: error: {exc}\n")
        return 2
    except Exception as exc:  # the cluster failed the job (KilledWorker, lost scheduler...)
        sys.stderr.write(f"ringbus sweep: the job failed: {type(exc).__name__}: {exc}\n")
        return 1
    if args.json:
        print(json.dumps({"out": str(result.out), "csv": str(result.csv),
                          "json": str(result.json), "heatmap": result.heatmap and
                          str(result.heatmap), "points": result.how,
                          "n_faulted": result.n_faulted, "rows": result.rows},
                         sort_keys=True, allow_nan=False))
        return 0
    _print(result, args.top)
    return 0


def _print(result: Any, top: int) -> None:
    from replay.sweep.table import format_rows

    spec = result.spec
    how = ", ".join(f"{n} {k}" for k, n in sorted(result.how.items()))
    print(f"{len(result.rows)} points ({how}), {result.n_faulted} FAULTED; best by "
          f"{spec.metric}:")
    print(format_rows(result.best(top), list(spec.grid), spec.metric))
    print(f"table    {result.csv}  {result.json}")
    if result.heatmap is not None:
        print(f"heatmap  {result.heatmap}")
    elif len(spec.grid) >= 2:
        print("heatmap  (none: matplotlib is not installed; pip install ringbus[plot])")
