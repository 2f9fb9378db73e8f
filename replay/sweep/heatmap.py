"""A heatmap PNG of one metric over two grid parameters (matplotlib, the ``plot`` extra).

With more than two grid keys, each cell shows the best value over the other keys (the best as
:mod:`replay.sweep.table` ranks it); FAULTED points and undefined values are blank cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from replay.sweep.table import LOWER_IS_BETTER, metric_value


def heatmap_cells(rows: Sequence[dict[str, Any]], x: str, y: str, metric: str,
                  xs: Sequence[Any], ys: Sequence[Any]) -> list[list[float | None]]:
    """Returns ``cells[j][i]``: the best ``metric`` of the rows with ``y == ys[j]`` and
    ``x == xs[i]``, or None."""
    better = min if metric in LOWER_IS_BETTER else max
    cells: list[list[float | None]] = [[None] * len(xs) for _ in ys]
    col = {repr(v): i for i, v in enumerate(xs)}
    line = {repr(v): j for j, v in enumerate(ys)}
    for row in rows:
        value = metric_value(row, metric)
        if value is None:
            continue
        i, j = col[repr(row[x])], line[repr(row[y])]
        cells[j][i] = value if cells[j][i] is None else better(cells[j][i], value)
    return cells


def write_heatmap(rows: Sequence[dict[str, Any]], grid: dict[str, Sequence[Any]], metric: str,
                  path: str | Path, axes: tuple[str, str] | None = None) -> Path | None:
    """Draws ``metric`` over ``axes`` (default: the first two grid keys) into ``path``;
    returns the path, or None when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    import numpy as np

    x, y = axes or tuple(grid)[:2]
    xs, ys = list(grid[x]), list(grid[y])
    cells = heatmap_cells(rows, x, y, metric, xs, ys)
    data = np.array([[np.nan if v is None else v for v in line] for line in cells])
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(xs), 1.0 + 0.7 * len(ys)))
    try:
        image = ax.imshow(np.ma.masked_invalid(data), origin="lower", aspect="auto",
                          cmap="viridis_r" if metric in LOWER_IS_BETTER else "viridis")
        ax.set_xticks(range(len(xs)), [str(v) for v in xs])
        ax.set_yticks(range(len(ys)), [str(v) for v in ys])
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        others = [k for k in grid if k not in (x, y)]
        ax.set_title(metric + (f" (best over {', '.join(others)})" if others else ""))
        for j, line in enumerate(cells):
            for i, v in enumerate(line):
                if v is not None:
                    ax.text(i, j, f"{v:.3g}", ha="center", va="center", color="white",
                            fontsize=8)
        fig.colorbar(image, ax=ax)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    return Path(path)
