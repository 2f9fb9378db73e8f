"""Running a sweep: points as tasks on a Dask cluster (or in process), then the table.

Design contract:
- before any task: the strategy is resolved and every data file opened (first chunk read) here,
  so a typo fails the sweep at once (bad input); what fails inside one point is that point's
  FAULTED row;
- ``workers=0`` runs the points here one after the other, ``workers=N`` on a local cluster of N
  processes, ``scheduler=ADDR`` on a running cluster whose workers see ``out`` and the data
  files at the same paths (or their own disks: the table says where each journal is);
- the table (``results.csv``, ``results.json``) is in grid order and holds no wall-clock
  figure: the same sweep gives the same bytes with any number of workers;
- tasks are named by the out directory and the point's run id, so two sweeps never share a
  task and a re-run of a sweep resumes it (:mod:`replay.sweep.point`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import attrs

from domain.digest import blake2b
from replay.backtest_data import open_source
from replay.dist import map_tasks, open_client
from replay.dist.progress import TaskProgress
from replay.strategy_registry import resolve_strategy
from replay.sweep.heatmap import write_heatmap
from replay.sweep.point import PointTask, run_point
from replay.sweep.spec import SweepSpec
from replay.sweep.table import best_rows, write_csv, write_json


@attrs.frozen
class SweepResult:
    """A finished sweep: its rows (grid order), where it wrote them, and what each point did."""

    spec: SweepSpec
    out: Path
    rows: list[dict[str, Any]]
    how: dict[str, int]  # ran / recovered / skipped -> count
    csv: Path
    json: Path
    heatmap: Path | None

    @property
    def n_faulted(self) -> int:
        return sum(1 for r in self.rows if r["status"] != "CLEAN")

    def best(self, n: int = 5, metric: str | None = None) -> list[dict[str, Any]]:
        """Returns the ``n`` best rows by ``metric`` (default: the spec's)."""
        return best_rows(self.rows, metric or self.spec.metric, n)


def run_sweep(spec: SweepSpec, out: str | Path, *, workers: int | None = None,
              scheduler: str | None = None, progress: bool = False, retries: int = 2,
              client: Any = None,
              heatmap_axes: tuple[str, str] | None = None) -> SweepResult:
    """Runs every point of ``spec`` and writes the table under ``out``; see the module
    contract. ``client`` (a ``distributed.Client``) overrides ``workers`` and ``scheduler``."""
    out = Path(out).resolve()
    _check_inputs(spec, heatmap_axes)
    out.mkdir(parents=True, exist_ok=True)
    tasks = [PointTask(p.index, p.params, attrs.evolve(p.config, journal=None), str(out))
             for p in spec.points()]
    tag = blake2b(str(out).encode(), digest_size=4).hexdigest()
    keys = [f"ringbus-point-{t.name}-{tag}" for t in tasks]
    bar = TaskProgress(len(tasks), enabled=progress)
    if client is not None:
        outcomes = map_tasks(run_point, tasks, keys, client, retries=retries, progress=bar)
    else:
        with open_client(scheduler, workers) as c:
            outcomes = map_tasks(run_point, tasks, keys, c, retries=retries, progress=bar)
    rows = [o.row for o in outcomes]
    how = dict(Counter(o.how for o in outcomes))
    summary = {"strategy": spec.strategy, "params": spec.params, "metric": spec.metric,
               "grid": {k: list(v) for k, v in spec.grid.items()}, "n_points": len(rows)}
    csv_path = write_csv(rows, out / "results.csv")
    json_path = write_json({"sweep": summary, "rows": rows}, out / "results.json")
    png = None
    if len(spec.grid) >= 2 or heatmap_axes:
        png = write_heatmap(rows, spec.grid, spec.metric, out / f"heatmap-{spec.metric}.png",
                            heatmap_axes)
    return SweepResult(spec, out, rows, how, csv_path, json_path, png)


def _check_inputs(spec: SweepSpec, axes: tuple[str, str] | None) -> None:
    resolve_strategy(spec.strategy)
    for data in spec.base.data:
        open_source(data, spec.base.instruments)
    if axes is not None:
        missing = [a for a in axes if a not in spec.grid]
        if missing or axes[0] == axes[1]:
            raise ValueError(f"heatmap axes must be two different grid keys of "
                             f"{list(spec.grid)}, got {list(axes)}")
