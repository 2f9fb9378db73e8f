"""NautilusTrader Parquet interop: export and import rows/s of a catalog's quotes (and ES MBO).

Builds a ringbus catalog of ``--quotes`` synthetic QUOTE records (seed 7) and, when
../shared/data is present, one of the ES MBO file; then times ``export_parquet`` into a fresh
directory and the import of that export (``nautilus_sources`` with every chunk read, the checks
included, no journal written); medians of ``--repeats`` runs, wall time and process CPU time.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _common import parser, quote_records, report

from domain.enums import BookLevel
from domain.instruments import Instrument
from replay.catalog_ingest import ingest, ingest_sources
from replay.data_source import DataSource
from replay.parquet_export import export_parquet
from replay.parquet_import import nautilus_sources

ES = Path(__file__).resolve().parents[2] / "shared" / "data" / "esh4-glbx-mdp3-20231225.mbo.dbn.zst"


def _timed(run, repeats: int) -> tuple[float, float]:
    """Returns the median (wall s, CPU s) of ``repeats`` runs after one warm-up."""
    run()
    walls, cpus = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def _bench(name: str, catalog: Path, rows: int, base: Path, repeats: int) -> list[dict]:
    out = base / f"{name}-out"

    def export() -> None:
        shutil.rmtree(out, ignore_errors=True)
        export_parquet(catalog, out)

    def read_back() -> None:
        n = sum(len(c) for s in nautilus_sources(out) for c in s.chunks(0))
        assert n == rows, (n, rows)

    result = []
    for workload, run in (("export", export), ("import (checked)", read_back)):
        wall, cpu = _timed(run, repeats)
        result.append({"data": name, "workload": workload, "rows": rows, "wall_s": wall,
                       "cpu_s": cpu, "rows_per_s": rows / wall})
    return result


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--quotes", type=int, default=1_000_000)
    args = p.parse_args()
    base = Path(tempfile.mkdtemp(prefix="pqinterop"))
    try:
        quotes = DataSource.from_records(Instrument.fx_pair("EUR/USD.SIM", price_precision=2),
                                         [quote_records(args.quotes)], BookLevel.L1)
        ingest_sources([("synthetic", quotes)], base / "quotes")
        rows = _bench("quotes", base / "quotes", args.quotes, base, args.repeats)
        if ES.exists():
            ingest([ES], base / "es")
            rows += _bench("ES MBO", base / "es", 68_792 - 9_344, base, args.repeats)
    finally:
        shutil.rmtree(base)
    report("parquet_interop", rows, args.json)


if __name__ == "__main__":
    main()
