"""Loader throughput: the real files of ../shared/data, the 1 M seed-42 quotes CSV, DBN MBO.

Each row loads one file completely (precision inferred in the same pass unless the row says
'given'), concatenating the chunks. ``--engines`` also times CSV parsers alone on the 1 M quotes
(pyarrow streaming and whole-file, polars when installed, numpy.genfromtxt on 100 k rows) to
show why pyarrow was picked. The 1 M quotes (52 MB) load with pyarrow converting the number
columns as it reads (replay/loaders/csv_typed.py); two rows read them as raw bytes and scan them
exactly instead (what a file gets once the typed reading stops), with the Arrow kernels and with
the numba scan that such a file of 64 MiB or more uses. The DBN rows are the ES MBO file, its
records x16 plain and zstd, and zstd decompression alone of that file (the bound for a zstd
file). Usage: ``python perf/csv_loaders.py [--json] [--repeats N] [--engines] [--n 1000000]``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import median_rate, parser, report

from replay.loaders import csv_chunks
from replay.loaders.bars_csv import iter_bars_csv
from replay.loaders.binance_depth import iter_binance_depth
from replay.loaders.csv_common import load_all
from replay.loaders.dbn import iter_dbn
from replay.loaders.histdata import iter_histdata_quotes
from replay.loaders.quotes_csv import iter_quotes_csv
from replay.loaders.truefx import iter_truefx_quotes

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("RINGBUS_SHARED_DATA", ROOT.parent / "shared" / "data"))
PEERS = Path(os.environ.get("RINGBUS_PEERS", ROOT.parent / "shared" / "peers")) / "nautilus"
ES = DATA / "esh4-glbx-mdp3-20231225.mbo.dbn.zst"

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


def _count(chunks) -> int:
    return sum(len(c) for c in chunks)


def _seed42_quotes(work: Path, n: int) -> Path:
    raw = work / "peer.csv"
    subprocess.run([sys.executable, str(PEERS / "gen_quotes.py"), "--n", str(n), "--seed", "42",
                    "--out", str(raw)], check=True, capture_output=True)
    out = work / "audusd-seed42.csv"
    with raw.open() as src, out.open("w") as dst:
        dst.write(src.readline().replace("ts_ns", "timestamp", 1))
        shutil.copyfileobj(src, dst)
    raw.unlink()
    return out


def _plain_mbo(work: Path, copies: int) -> Path:
    """The ES MBO records repeated ``copies`` times in one uncompressed DBN file."""
    import zstandard

    with ES.open("rb") as f:
        raw = zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True).read()
    head = 8 + int.from_bytes(raw[4:8], "little")
    out = work / "es-x16.mbo.dbn"
    out.write_bytes(raw[:head] + raw[head:] * copies)
    return out


def _raw_bytes_rows(quotes: Path, n: int, repeats: int) -> list[dict[str, object]]:
    """The same quotes read as raw-byte columns and scanned exactly (what a file gets after
    the typed reading stops), by the Arrow kernels and by numba (which a file of
    NUMBA_MIN_BYTES or more uses; warm: numba's start is in the untimed first run)."""
    rows = []
    saved = csv_chunks.TYPED_READING, csv_chunks.NUMBA_MIN_BYTES
    csv_chunks.TYPED_READING = False
    try:
        for title, numba_min in (("raw bytes, Arrow scan", saved[1]),
                                 ("raw bytes, numba scan (files >= 64 MiB)", 0)):
            csv_chunks.NUMBA_MIN_BYTES = numba_min
            rate, seconds = median_rate(lambda: _count(iter_quotes_csv(quotes, 1)), n, repeats)
            rows.append(_row(f"seed-42 quotes CSV, {title}", n, rate, seconds))
    finally:
        csv_chunks.TYPED_READING, csv_chunks.NUMBA_MIN_BYTES = saved
    return rows


def _zstd_copy(plain: Path) -> Path:
    """``plain`` compressed as one zstd frame with a checksum, as Databento writes files."""
    import zstandard

    out = plain.with_name(plain.name + ".zst")
    out.write_bytes(zstandard.ZstdCompressor(level=3, write_checksum=True).compress(
        plain.read_bytes()))
    return out


def _zstd_alone(path: Path, n: int, repeats: int) -> dict[str, object]:
    """The bound for a zstd DBN file: decompressing it whole into memory, nothing else."""
    import zstandard

    blob = path.read_bytes()
    rate, seconds = median_rate(lambda: zstandard.ZstdDecompressor().stream_reader(
        blob, read_across_frames=True).read(), n, repeats)
    return _row("zstd decompression alone (same file, in memory)", n, rate, seconds)


def _engines(path: Path, n: int, repeats: int) -> list[dict[str, object]]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = ["timestamp", "bid", "ask", "bid_size", "ask_size"]
    convert = pacsv.ConvertOptions(column_types={c: pa.binary() for c in names})
    runs = {
        "engine: pyarrow open_csv (streaming, bytes)": (lambda: _count(pacsv.open_csv(
            path, convert_options=convert, read_options=pacsv.ReadOptions(block_size=4 << 20))), n),
        "engine: pyarrow read_csv (whole file, bytes)": (
            lambda: pacsv.read_csv(path, convert_options=convert).num_rows, n),
    }
    try:
        import polars as pl

        runs["engine: polars read_csv (strings)"] = (
            lambda: pl.read_csv(path, schema={c: pl.String for c in names}).height, n)
    except ImportError:
        pass
    import numpy as np

    runs["engine: numpy genfromtxt (first 100 k rows)"] = (lambda: len(np.genfromtxt(
        path, delimiter=",", skip_header=1, dtype=None, encoding="ascii", max_rows=100_000)),
        100_000)
    rows = []
    for title, (run, items) in runs.items():
        rate, seconds = median_rate(run, items, repeats)
        rows.append(_row(title, items, rate, seconds))
    return rows


def _row(title: str, n: int, rate: float, seconds: list[float]) -> dict[str, object]:
    return {"case": title, "rows": n, "rows_per_s": round(rate),
            "median_ms": round(sorted(seconds)[len(seconds) // 2] * 1000, 2)}


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--engines", action="store_true", help="also time CSV parsers alone")
    p.add_argument("--n", type=int, default=1_000_000, help="seed-42 quotes to generate")
    args = p.parse_args()
    rows = []
    for title, name, loader, options, n_rows in CASES:
        path = DATA / name
        rate, seconds = median_rate(lambda p=path, f=loader, o=options: load_all(f(p, 1, **o)),
                                    n_rows, args.repeats)
        rows.append(_row(title, n_rows, rate, seconds))
    work = Path(tempfile.mkdtemp(prefix="ringbus-loaders-"))
    try:
        if (PEERS / "gen_quotes.py").exists():
            quotes = _seed42_quotes(work, args.n)
            for title, options in (("seed-42 quotes CSV", {}), (
                    "seed-42 quotes CSV, precision given",
                    {"price_precision": 5, "size_precision": 0})):
                rate, seconds = median_rate(
                    lambda o=options: _count(iter_quotes_csv(quotes, 1, **o)), args.n, args.repeats)
                rows.append(_row(title, args.n, rate, seconds))
            rows.extend(_raw_bytes_rows(quotes, args.n, args.repeats))
            if args.engines:
                rows.extend(_engines(quotes, args.n, args.repeats))
        if ES.exists():
            plain = _plain_mbo(work, 16)
            zstd = _zstd_copy(plain)
            for title, path in (("DBN MBO ES x16, plain", plain), ("DBN MBO ES x16, zstd", zstd),
                                ("DBN MBO ES, zstd", ES)):
                n = _count(iter_dbn(path, 1, price_precision=2))
                rate, seconds = median_rate(
                    lambda p=path: _count(iter_dbn(p, 1, price_precision=2)), n, args.repeats)
                rows.append(_row(title, n, rate, seconds))
            rows.append(_zstd_alone(zstd, rows[-2]["rows"], args.repeats))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report("csv_loaders", rows, args.json)


if __name__ == "__main__":
    main()
