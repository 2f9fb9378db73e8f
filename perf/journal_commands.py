"""Process wall time of the journal-reading commands on the demo journal, run as the real
program (in a child process, ``replay.isolation``) and in the calling process (``isolate=False``):
what the protection against a damaged page that would kill the process costs at startup.

Writes the demo backtest's journal (ema_cross over the bundled EUR/USD quotes, ~16.9 k records)
once, then times ``--repeats`` runs of each command both ways, alternating; medians, and the
median of the paired differences as the cost.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import parser, report

ROOT = Path(__file__).resolve().parents[1]
DEMO_DATA = ROOT / "replay" / "demo_data" / "eurusd-histdata-20200101.csv.gz"
IN_PROCESS = "import sys; from replay.cli import main; sys.exit(main(sys.argv[1:], isolate=False))"


def once_s(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - t0


def paired(a: list[str], b: list[str], repeats: int) -> tuple[float, float, float]:
    """Runs ``a`` and ``b`` alternately ``repeats`` times (after one untimed pair); returns the
    median wall time of each and the median of the paired differences a - b (pairing cancels
    the drift of a loaded machine)."""
    once_s(a), once_s(b)
    ta, tb = [], []
    for i in range(repeats):
        first, second = (a, b) if i % 2 == 0 else (b, a)
        t_first, t_second = once_s(first), once_s(second)
        ta.append(t_first if first is a else t_second)
        tb.append(t_second if first is a else t_first)
    diffs = [x - y for x, y in zip(ta, tb, strict=True)]
    return statistics.median(ta), statistics.median(tb), statistics.median(diffs)


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    args = p.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ringbus-cmd-"))
    journal = root / "demo"
    try:
        subprocess.run([sys.executable, "-m", "replay.cli", "backtest", "--strategy", "ema_cross",
                        "--data", str(DEMO_DATA), "--journal", str(journal), "--quiet"],
                       check=True, capture_output=True, cwd=ROOT)
        rows = []
        for command in ("inspect", "verify", "replay"):
            isolated, direct, cost = paired(
                [sys.executable, "-m", "replay.cli", command, str(journal)],
                [sys.executable, "-c", IN_PROCESS, command, str(journal)], args.repeats)
            rows.append({"command": command, "isolated_s": round(isolated, 3),
                         "in_process_s": round(direct, 3), "cost_ms": round(cost * 1000, 1)})
        rows.append(fork_row(max(args.repeats, 30)))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report("journal_commands", rows, args.json)


def fork_row(repeats: int) -> dict[str, object]:
    """Times ``run_isolated`` of a no-op in this process (numpy and lmdb imported, as in a
    command): the fork and wait alone, without interpreter startup noise."""
    import lmdb  # noqa: F401  (the child's imports are in memory, as in a real command)
    import numpy  # noqa: F401

    from replay.isolation import run_isolated

    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run_isolated("noop", lambda: 0, False)
        times.append(time.perf_counter() - t0)
    return {"command": "fork + wait only (min / median)", "isolated_s": round(min(times), 4),
            "in_process_s": 0.0, "cost_ms": round(statistics.median(times) * 1000, 1)}


if __name__ == "__main__":
    main()
