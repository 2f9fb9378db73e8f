"""CSV loader throughput on the real files of ../shared/data (rows/s, medians).

Each row loads one file completely (precision inference scan included unless the row says
'given'), concatenating the chunks. Usage: ``python perf/csv_loaders.py [--json] [--repeats N]``.
"""

from __future__ import annotations

import os
from pathlib import Path

from _common import median_rate, parser, report

from replay.loaders.bars_csv import iter_bars_csv
from replay.loaders.binance_depth import iter_binance_depth
from replay.loaders.csv_common import load_all
from replay.loaders.histdata import iter_histdata_quotes
from replay.loaders.truefx import iter_truefx_quotes

DATA = Path(os.environ.get("RINGBUS_SHARED_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))

CASES = (
    ("histdata EUR/USD quotes", "quote_tick_data.csv", iter_histdata_quotes, {}, 9500),
    ("histdata EUR/USD quotes, precision given", "quote_tick_data.csv", iter_histdata_quotes,
     {"price_precision": 5, "size_precision": 0}, 9500),
    ("truefx USD/JPY quotes", "usdjpy-ticks.csv", iter_truefx_quotes, {}, 1000),
    ("GBP/USD 1-minute bars", "gbpusd-m1-bid-2012.csv", iter_bars_csv, {}, 30117),
    ("BTC 1-minute bars (volume rounded)", "btc-perp-20211231-20220201_1m.csv", iter_bars_csv,
     {"size_precision": 4, "round_volume": True}, 45031),
    ("BTC 1-minute bars, precision given", "btc-perp-20211231-20220201_1m.csv", iter_bars_csv,
     {"price_precision": 3, "size_precision": 4, "round_volume": True}, 45031),
    ("Binance depth updates", "btcusdt-depth-update.csv", iter_binance_depth, {}, 100),
)


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    rows = []
    for title, name, loader, options, n_rows in CASES:
        path = DATA / name
        rate, seconds = median_rate(lambda p=path, f=loader, o=options: load_all(f(p, 1, **o)),
                                    n_rows, args.repeats)
        rows.append({"case": title, "rows": n_rows, "rows_per_s": round(rate),
                     "median_ms": round(sorted(seconds)[len(seconds) // 2] * 1000, 2)})
    report("csv_loaders", rows, args.json)


if __name__ == "__main__":
    main()
