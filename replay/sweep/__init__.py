"""Parameter sweeps: one backtest per point of a grid, as tasks on Dask, into one table.

Design contract:
- a point's journal is the journal of the same backtest run alone (its run id comes from its
  config), under ``OUT/journals/<run id>``; its row is in ``OUT/results.csv`` / ``.json``;
- data files are read once per worker process and kept in memory there; tasks carry configs
  and paths, results carry rows: no records cross the network;
- a killed worker's point is retried and its half-written journal recovered by the backtest's
  own crash recovery; a point whose strategy raises is a FAULTED row; a re-run skips the points
  whose journal ended with the same config (resumable);
- the table and every state hash are the same with 0 (in process), 1 or N workers.

Python API::

    from replay.sweep import SweepSpec, run_sweep
    data = DataConfig("quotes.csv", instrument_id="EUR/USD.SIM")
    spec = SweepSpec(BacktestConfig(data=[data]), "ema_cross",
                     {"fast": (5, 10, 20), "slow": (30, 60)})
    result = run_sweep(spec, "sweep-out", workers=2)
    result.best(3)
"""

from replay.sweep.run import SweepResult, run_sweep
from replay.sweep.spec import Point, SweepSpec, load_sweep_toml, parse_grid

__all__ = ["Point", "SweepResult", "SweepSpec", "load_sweep_toml", "parse_grid", "run_sweep"]
