"""A ``noop`` backtest over the ES MBO file (68,792 L3 records, DBN zstd): loader, merge, kernel,
L3 book, journal (durability ``none``) — the whole ``ringbus backtest`` minus the report.

``records_per_s`` is the median of ``--repeats`` warm runs (after one untimed run), counting
every journaled record; ``cold_s`` is that first run in the process (it loads the kernels'
compiled module, or builds it if this machine has none yet; with ``RINGBUS_AOT=0`` it imports
numba and loads numba's cached kernels instead).
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _common import parser, report

from replay.backtest import BacktestNode
from replay.config import BacktestConfig, DataConfig, StrategyConfig

ES_MBO = Path(__file__).resolve().parents[2] / "shared" / "data" / "esh4-glbx-mdp3-20231225.mbo.dbn.zst"


def one_run(root: Path) -> tuple[float, int]:
    journal = root / f"mbo-{time.perf_counter_ns()}"
    config = BacktestConfig(data=[DataConfig(str(ES_MBO))], strategies=[StrategyConfig("noop")],
                            journal=str(journal))
    t0 = time.perf_counter()
    run = BacktestNode(config).run()
    wall = time.perf_counter() - t0
    shutil.rmtree(journal, ignore_errors=True)
    return wall, run.n_records


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    root = Path(tempfile.mkdtemp(prefix="ringbus-mbo-"))
    try:
        cold_s, _ = one_run(root)
        runs = [one_run(root) for _ in range(max(1, args.repeats))]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    wall = statistics.median(r[0] for r in runs)
    report("backtest_mbo", [{"file": ES_MBO.name, "records": runs[0][1], "run_s": round(wall, 3),
                             "records_per_s": round(runs[0][1] / wall), "cold_s": round(cold_s, 3)}],
           args.json)


if __name__ == "__main__":
    main()
