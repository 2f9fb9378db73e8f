"""Tiny shared helpers for the perf/ scripts: CLI, timing medians, output, quote data.

API (keep it this small):
- ``parser(description)`` -> argparse parser with ``--json`` and ``--repeats N`` (default 5);
- ``median_rate(run, n_items, repeats)`` -> ``(items_per_s_median, [seconds per run])``; ``run()``
  does the whole workload once and is called ``repeats`` times (plus one untimed warm-up);
- ``report(title, rows, as_json)`` prints rows (dicts with the same keys) as an aligned table, or
  one JSON object ``{"benchmark": title, "rows": rows}``;
- ``quote_records(n, seed)`` -> ``n`` QUOTE records (RECORD_DTYPE, INPUT flag, seq unset).

Importing it puts the repository root on ``sys.path`` (scripts run as ``python perf/x.py``).
Timing is wall-clock ``perf_counter`` (benchmarks are not part of the deterministic core).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

# Scripts run as ``python perf/x.py`` have perf/ (not the repo root) on sys.path; put the root
# first so the project packages import the same way from a clean clone or an editable install.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(1, _ROOT)

from domain.enums import RecordFlag  # noqa: E402  (after the sys.path fix above)
from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind  # noqa: E402

QUOTE_DTYPE = KIND_DTYPES[Kind.QUOTE]


def parser(description: str) -> argparse.ArgumentParser:
    """Returns an argument parser with the common ``--json`` and ``--repeats`` options."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--repeats", type=int, default=5, help="timed runs per row (median reported)")
    return p


def median_rate(run: Callable[[], object], n_items: int, repeats: int) -> tuple[float, list[float]]:
    """Runs ``run`` once untimed then ``repeats`` times; returns (median items/s, seconds list)."""
    run()
    seconds = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - t0)
    return n_items / statistics.median(seconds), seconds


def report(title: str, rows: Sequence[dict[str, object]], as_json: bool) -> None:
    """Prints ``rows`` as a table under ``title``, or as one JSON object when ``as_json``."""
    if as_json:
        print(json.dumps({"benchmark": title, "rows": list(rows)}))
        return
    if not rows:
        print(f"{title}: no rows")
        return
    keys = list(rows[0])
    cells = [[_fmt(row[k]) for k in keys] for row in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    print(title)
    print("  ".join(k.ljust(w) for k, w in zip(keys, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for c in cells:
        print("  ".join(v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(c, widths, strict=True)))


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _numeric(text: str) -> bool:
    return text.replace(",", "").replace(".", "").replace("-", "").isdigit()


def quote_records(n: int, seed: int = 7, n_instruments: int = 1) -> np.ndarray:
    """Returns ``n`` QUOTE records as RECORD_DTYPE (seq 0; the ring stamps it)."""
    rng = np.random.default_rng(seed)
    q = np.zeros(n, dtype=QUOTE_DTYPE)
    ts = 1_700_000_000_000_000_000 + np.cumsum(rng.integers(1, 1000, n))
    q["ts_event"] = ts
    q["ts_init"] = ts
    q["kind"] = Kind.QUOTE
    q["flags"] = RecordFlag.INPUT
    q["instrument_id"] = 1 + rng.integers(0, n_instruments, n) if n_instruments > 1 else 1
    q["price_precision"] = 2
    q["size_precision"] = 0
    mid = 100_000 + np.cumsum(rng.integers(-2, 3, n))
    q["bid"] = mid - 1
    q["ask"] = mid + 1
    q["bid_size"] = rng.integers(1, 100, n)
    q["ask_size"] = rng.integers(1, 100, n)
    return q.view(RECORD_DTYPE)


def publish_fx_setup(kernel: Any, symbol: str, account_id: int | None = None,
                     price_precision: int | None = None, margin: bool = False) -> int:
    """Publishes ``symbol``'s INSTRUMENT (an FX pair) and, given ``account_id``, an account of
    10^12 raw USD (a cash account, which may not sell short; ``margin``: a margin account), as a
    bench's setup inputs; returns the symbol's interned id."""
    from domain.codec import encode
    from domain.currencies import Currency
    from domain.enums import AccountType
    from domain.instruments import Instrument

    iid = kernel.intern(symbol)
    pair = (Instrument.fx_pair(symbol) if price_precision is None
            else Instrument.fx_pair(symbol, price_precision=price_precision))
    kernel.publish_one(encode(Kind.INSTRUMENT, flags=RecordFlag.INPUT, **pair.to_fields(iid))[0])
    if account_id is not None:
        usd = 10**12
        kind = AccountType.MARGIN if margin else AccountType.CASH
        kernel.publish_one(encode(
            Kind.ACCOUNT_STATE, flags=RecordFlag.INPUT, account_id=account_id,
            currency=Currency.from_code("USD").packed, account_type=int(kind),
            balance_total=usd, balance_free=usd)[0])
    return iid


def feed_quotes(kernel: Any, records: np.ndarray, instrument_id: int) -> None:
    """Runs a copy of ``records`` (QUOTEs) as ``instrument_id`` through the replay loop."""
    from replay.loop import run

    recs = records.copy()
    recs.view(QUOTE_DTYPE)["instrument_id"] = instrument_id
    run(kernel, [recs[i : i + 65536] for i in range(0, len(recs), 65536)])
