"""Workload: ``ringbus check`` over the real ES MBO day as a journal (68,792 records + setup).

Rows: ``cli_all_builtins`` (the whole command, every built-in record invariant, no window: the
pre-open is inferred from the book, see engines/book/trading_status.py; target < 10 s),
``cli_all_builtins_window`` (the same with the status inference off and the pre-open window
22:39-23:00 allowed instead), ``check_fold_only`` (the fold with no invariant: the floor),
``check_one_invariant_<name>`` for the record-order and book invariants, and
``snapshot_tail`` (the whole-journal check: a second fold with snapshot + restore). The journal
is built once (DBN loader + journal writer) in a temporary directory. Median of ``--repeats``.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

from _common import parser, report

from domain.instruments import Instrument
from domain.kinds import KIND_DTYPES, Kind
from replay.cli import main as ringbus
from replay.loaders import load_dbn
from replay.testing.check import check
from replay.testing.journal_io import write_journal
from replay.testing.state import CheckConfig
from replay.testing.streams import concat, setup_records

DATA = Path(os.environ.get("RINGBUS_SHARED_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))
ES = DATA / "esh4-glbx-mdp3-20231225.mbo.dbn.zst"
IID = 17077
WINDOW = "22:39-23:00"


def build_journal(path: Path) -> int:
    data = load_dbn(ES, IID)
    pp = int(data.view(KIND_DTYPES[Kind.BOOK_DELTA])["price_precision"][0])
    inst = Instrument.future("ESH4.GLBX", price_precision=pp, tick_size="0.25")
    write_journal(concat([setup_records(inst, IID, int(data["ts_init"][0])), data]), path)
    return len(data)


def timed(run, repeats: int) -> tuple[float, list[float]]:
    import statistics
    import time

    run()
    seconds = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds), seconds


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "es"
        n_data = build_journal(path)
        config = CheckConfig(crossed_windows_utc=(WINDOW,))

        def cli(*options: str) -> None:
            with contextlib.redirect_stdout(io.StringIO()):
                code = ringbus(["check", str(path), *options])
            if code != 0:
                raise SystemExit(f"ringbus check exited {code}")

        workloads = {"cli_all_builtins": cli,
                     "cli_all_builtins_window": lambda: cli("--no-infer-status",
                                                            "--allow-crossed", WINDOW),
                     "check_fold_only": lambda: check(path, [], config=config)}
        for name in ("seq_contiguous", "book_not_crossed", "l3_known_order_ids",
                     "l3_to_l2_aggregation"):
            workloads[f"check_one_invariant_{name}"] = (
                lambda name=name: check(path, [name], config=config))
        workloads["snapshot_tail"] = lambda: check(path, ["builtin:snapshot_tail"], config=config)
        rows = []
        for name, run in workloads.items():
            median_s, seconds = timed(run, args.repeats)
            rows.append({"workload": name, "records": n_data, "median_s": round(median_s, 3),
                         "records_per_s": n_data / median_s,
                         "min_s": round(min(seconds), 3), "max_s": round(max(seconds), 3)})
    report("check_invariants (ES MBO journal)", rows, args.json)


if __name__ == "__main__":
    main()
