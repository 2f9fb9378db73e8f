"""The whole command: `ringbus backtest` process wall time against NautilusTrader's, same file.

Generates the peers' seed-42 AUD/USD quotes (../shared/peers/nautilus/gen_quotes.py), then times,
as separate processes (median of ``--repeats``): ``ringbus backtest --data FILE.csv``, ``ringbus
ingest`` once and ``ringbus backtest --data CATALOG``, and NautilusTrader's
../shared/peers/nautilus/bench_nautilus.py on the same file (its venv: setup.sh there), and prints
the ratios. ``--phases`` also splits one ringbus run into import, numba cache load + engine setup,
data open, run (loop and journal close) and report. Rows of a missing peer venv are skipped.

Usage: ``python perf/backtest_cli.py [--n 1000000] [--strategy noop|ema_cross] [--phases]
[--json] [--repeats N]``.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import parser, report

ROOT = Path(__file__).resolve().parents[1]
PEERS = Path(os.environ.get("RINGBUS_PEERS", ROOT.parent / "shared" / "peers")) / "nautilus"
PEER_PY = Path(os.environ.get("PEER_VENV", Path(os.environ.get(
    "XDG_CACHE_HOME", Path.home() / ".cache")) / "ringbus-peers" / "nautilus-venv")) / "bin/python"


def _wall(cmd: list[str], cwd: Path) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr[-2000:]}")
    return seconds, out.stdout


def _median(cmds: list[list[str]], cwd: Path) -> tuple[float, str]:
    runs = [_wall(cmd, cwd) for cmd in cmds]
    return statistics.median(s for s, _ in runs), runs[-1][1]


def _ringbus(*args: str) -> list[str]:
    return [sys.executable, "-m", "replay.cli", *args]


PHASES = """
import time, json, sys
t0 = time.perf_counter()
import replay.cli, replay.commands.backtest, replay.backtest, replay.report, replay.backtest_data
t1 = time.perf_counter()
from replay.backtest import BacktestNode
from replay.backtest_data import open_source
from replay.config import BacktestConfig, DataConfig, StrategyConfig
from replay.report import write_report
def node(data, journal):
    return BacktestNode(BacktestConfig(data=[DataConfig(data)], journal=journal,
                        strategies=[StrategyConfig(sys.argv[3])]))
node(sys.argv[4], sys.argv[2] + '/tiny1').run()
t2 = time.perf_counter()
node(sys.argv[4], sys.argv[2] + '/tiny2').run()
t3 = time.perf_counter()
source = open_source(DataConfig(sys.argv[1]), ())
for _ in source.chunks(1):
    pass
t4 = time.perf_counter()
run = node(sys.argv[1], sys.argv[2] + '/big').run()
t5 = time.perf_counter()
write_report(run, sys.argv[2] + '/report')
t6 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "numba cache load + engine setup": (t2 - t1) - (t3 - t2),
                  "data open (whole file through the loader)": t4 - t3,
                  "run incl. data, loop, journal close": t5 - t4, "report": t6 - t5}))
"""


def _phases(csv: Path, work: Path, strategy: str, tiny: Path) -> list[dict[str, object]]:
    _, out = _wall([sys.executable, "-c", PHASES, str(csv), str(work / "phases"), strategy,
                    str(tiny)], ROOT)
    return [{"workload": f"phase: {k}", "wall_s": round(v, 3), "nautilus_s": "",
             "ratio": ""} for k, v in json.loads(out).items()]


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000, help="quotes (seed 42)")
    p.add_argument("--strategy", default="noop", choices=("noop", "ema_cross"))
    p.add_argument("--phases", action="store_true", help="also split one run into phases")
    p.set_defaults(repeats=3)
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ringbus-cli-bench-"))
    try:
        raw = work / "peer.csv"
        subprocess.run([sys.executable, str(PEERS / "gen_quotes.py"), "--n", str(args.n),
                        "--seed", "42", "--out", str(raw)], check=True, capture_output=True)
        csv = work / "audusd-seed42.csv"  # the name identifies AUD/USD.SIM for ringbus
        with raw.open() as src, csv.open("w") as dst:
            dst.write(src.readline().replace("ts_ns", "timestamp", 1))
            shutil.copyfileobj(src, dst)
        rows = []

        def bt(data: str, i: int) -> list[str]:
            return _ringbus("backtest", "--strategy", args.strategy, "--data", data,
                            "--journal", str(work / f"j{i}-{time.perf_counter_ns()}"),
                            "--json", "--quiet")

        file_s, _ = _median([bt(str(csv), i) for i in range(args.repeats)], ROOT)
        ingest_s, _ = _wall(_ringbus("ingest", str(csv), "--catalog", str(work / "cat")), ROOT)
        cat_s, _ = _median([bt(str(work / "cat"), i) for i in range(args.repeats)], ROOT)
        peer_s, peer_doc = None, {}
        if PEER_PY.exists():
            peer_cmd = [str(PEER_PY), str(PEERS / "bench_nautilus.py"), "--csv", str(raw),
                        "--strategy", args.strategy]
            peer_s, out = _median([peer_cmd] * args.repeats, ROOT)
            peer_doc = json.loads(out.strip().splitlines()[-1])

        def row(name: str, seconds: float) -> dict[str, object]:
            return {"workload": name, "wall_s": round(seconds, 3),
                    "nautilus_s": round(peer_s, 3) if peer_s else "",
                    "ratio": f"{peer_s / seconds:.2f}x" if peer_s else ""}

        rows.append(row(f"ringbus backtest {args.strategy}, {args.n:,} quotes CSV", file_s))
        rows.append(row("ringbus ingest (once)", ingest_s) | {"nautilus_s": "", "ratio": ""})
        rows.append(row(f"ringbus backtest {args.strategy}, from the catalog", cat_s))
        if peer_doc:
            for key in ("import_s", "load_s", "wall_s", "total_s"):
                if key in peer_doc:
                    rows.append({"workload": f"nautilus {key} (its own timer)",
                                 "wall_s": "", "nautilus_s": round(float(peer_doc[key]), 3),
                                 "ratio": ""})
        if args.phases:
            tiny = work / "audusd-tiny.csv"
            with csv.open() as f:
                tiny.write_text("".join(itertools.islice(f, 21)))
            rows.extend(_phases(csv, work, args.strategy, tiny))
        report(f"whole command, {args.strategy}, {args.n:,} seed-42 quotes "
               f"(median of {args.repeats})", rows, args.json)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
