"""The whole command: `ringbus backtest` process wall time against NautilusTrader's, same file.

Generates the peers' seed-42 AUD/USD quotes (../shared/peers/nautilus/gen_quotes.py), then times,
as separate processes (median of ``--repeats``, the workloads interleaved so that both sides meet
the same load): ``ringbus backtest --data FILE.csv``, ``ringbus ingest`` once and ``ringbus
backtest --data CATALOG``, NautilusTrader's ../shared/peers/nautilus/bench_nautilus.py on the same
file (its venv: setup.sh there), and for noop the ES MBO DBN file of ../shared/data (with its
kernels compiled ahead of time, and under numba's JIT: ``RINGBUS_AOT=0``; ``--cold`` adds one run
that compiles them, the first run after install; these run with Python's bytecode caches on, as
an installed package does, whatever PYTHONDONTWRITEBYTECODE says). It prints
wall time and CPU time (user + system of the process tree: what a run costs on a loaded machine)
and both ratios to NautilusTrader. ``--phases`` also splits one ringbus run into import, engine
setup, data open (numba's start when the loader scans with it), run and report, wall and CPU,
and the run further into its loop (data, kernel, strategy), the journal's close, the results and
the rest. Rows of a missing peer venv or data file are skipped.

Usage: ``python perf/backtest_cli.py [--n 1000000] [--strategy noop|ema_cross] [--phases]
[--cold] [--json] [--repeats N]``.
"""

from __future__ import annotations

import itertools
import json
import os
import resource
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
ES_MBO = Path(os.environ.get("RINGBUS_SHARED_DATA", ROOT.parent / "shared" / "data")) / \
    "esh4-glbx-mdp3-20231225.mbo.dbn.zst"


def _wall(cmd: list[str], cwd: Path, env: dict[str, str] | None = None
          ) -> tuple[float, float, str]:
    """Runs ``cmd`` (with ``env`` added to the environment); returns (wall seconds, CPU seconds
    of the process and its children, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False,
                         env={**os.environ, **(env or {})})
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, out.stdout


def _ringbus(*args: str) -> list[str]:
    return [sys.executable, "-m", "replay.cli", *args]


PHASES = """
import time, json, sys
from replay.gc_policy import collector_for_batch
collector_for_batch().__enter__()  # as `ringbus backtest` runs (replay.cli: BATCH_JOB)
def now():
    return time.perf_counter(), time.process_time()
t0 = now()
import replay.cli, replay.commands.backtest, replay.backtest, replay.report, replay.backtest_data
t1 = now()
import replay.backtest as backtest_module
from journal.writer import JournalWriter
from replay.backtest import BacktestNode
from replay.backtest_data import open_source
from replay.config import BacktestConfig, DataConfig, StrategyConfig
from replay.nodes.driver import NodeDriver
from replay.report import write_report
spent = {}
def timed(owner, name, label):
    fn = getattr(owner, name)
    def wrapper(*args, **kwargs):
        a = now()
        try:
            return fn(*args, **kwargs)
        finally:
            b = now()
            old = spent.get(label, (0.0, 0.0))
            spent[label] = (old[0] + b[0] - a[0], old[1] + b[1] - a[1])
    setattr(owner, name, wrapper)
def node(data, journal):
    return BacktestNode(BacktestConfig(data=[DataConfig(data)], journal=journal,
                        strategies=[StrategyConfig(sys.argv[3])]))
node(sys.argv[4], sys.argv[2] + '/tiny1').run()
t2 = now()
node(sys.argv[4], sys.argv[2] + '/tiny2').run()
t3 = now()
source = open_source(DataConfig(sys.argv[1]), ())
for _ in source.chunks(1):
    pass
t4 = now()
timed(NodeDriver, "feed", "loop")
timed(JournalWriter, "close", "journal close")
timed(backtest_module, "build_results", "results")
run = node(sys.argv[1], sys.argv[2] + '/big').run()
t5 = now()
write_report(run, sys.argv[2] + '/report')
t6 = now()
def d(a, b):
    return [b[0] - a[0], b[1] - a[1]]
whole = d(t4, t5)
inner = {f"run: {k}": list(v) for k, v in spent.items()}
rest = [whole[i] - sum(v[i] for v in spent.values()) for i in (0, 1)]
print(json.dumps({"import": d(t0, t1),
                  "engine setup (first tiny run minus a second)": [
                      d(t1, t2)[i] - d(t2, t3)[i] for i in (0, 1)],
                  "data open (whole file through the loader; numba's start if it scans)": d(t3, t4),
                  "run incl. data, loop, journal close": whole, **inner,
                  "run: the rest (data open, setup records, end of run, equity curve)": rest,
                  "report": d(t5, t6)}))
"""


def _phases(data: Path, work: Path, strategy: str, tiny: Path) -> list[dict[str, object]]:
    """One process split into phases: wall and CPU seconds of each (CPU time is what the phase
    costs on a loaded machine, where wall time also holds waiting for a core)."""
    _, _, out = _wall([sys.executable, "-c", PHASES, str(data), str(work / "phases"), strategy,
                    str(tiny)], ROOT)
    return [{"workload": f"phase: {k}", "wall_s": round(v[0], 3), "nautilus_s": "",
             "ratio": "", "cpu_s": round(v[1], 3), "cpu_ratio": ""}
            for k, v in json.loads(out).items()]


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000, help="quotes (seed 42)")
    p.add_argument("--strategy", default="noop", choices=("noop", "ema_cross"))
    p.add_argument("--phases", action="store_true", help="also split one run into phases")
    p.add_argument("--cold", action="store_true",
                   help="also time one ES MBO run with an empty compiled-kernel cache")
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

        def bt(data: str) -> list[str]:
            return _ringbus("backtest", "--strategy", args.strategy, "--data", data,
                            "--journal", str(work / f"j-{time.perf_counter_ns()}"),
                            "--json", "--quiet")

        ingest = _wall(_ringbus("ingest", str(csv), "--catalog", str(work / "cat")), ROOT)
        peer_cmd = [str(PEER_PY), str(PEERS / "bench_nautilus.py"), "--csv", str(raw),
                    "--strategy", args.strategy]
        mbo = ES_MBO.exists() and args.strategy == "noop"
        runs: dict[str, list[tuple[float, float, str]]] = {}
        # every ringbus row runs as installed: Python's bytecode caches on, even where the
        # environment sets PYTHONDONTWRITEBYTECODE (then every ringbus module without a cached
        # .pyc compiles from source per run; the peer's site-packages were compiled at install)
        installed = {"PYTHONDONTWRITEBYTECODE": ""}
        _wall(bt(str(csv)), ROOT, installed)  # writes the bytecode the CSV and catalog runs read
        if mbo and args.cold:  # the first run after install: the MBO kernels are compiled
            runs["mbo_cold"] = [_wall(bt(str(ES_MBO)), ROOT,
                                      {**installed, "RINGBUS_KERNEL_CACHE": str(work / "kernels")})]
        if mbo:  # warm: bytecode written, kernels compiled if this machine's cache lacks them
            _wall(bt(str(ES_MBO)), ROOT, installed)
        # interleaved, so that each repeat of both sides meets the same machine load
        for _ in range(args.repeats):
            for key, cmd, env in (
                    ("csv", bt(str(csv)), installed), ("catalog", bt(str(work / "cat")), installed),
                    ("peer", peer_cmd if PEER_PY.exists() else None, None),
                    ("mbo", bt(str(ES_MBO)) if mbo else None, installed),
                    ("mbo_jit", bt(str(ES_MBO)) if mbo else None,
                     {**installed, "RINGBUS_AOT": "0"})):
                if cmd is not None:
                    runs.setdefault(key, []).append(_wall(cmd, ROOT, env))

        def med(key: str, i: int) -> float:
            return statistics.median(r[i] for r in runs[key])

        peer = "peer" in runs
        peer_doc = json.loads(runs["peer"][-1][2].strip().splitlines()[-1]) if peer else {}

        def row(name: str, key: str, vs_peer: bool = True) -> dict[str, object]:
            wall, cpu = med(key, 0), med(key, 1)
            both = vs_peer and peer
            return {"workload": name, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                    "nautilus_s": round(med("peer", 0), 3) if both else "",
                    "ratio": f"{med('peer', 0) / wall:.2f}x" if both else "",
                    "cpu_ratio": f"{med('peer', 1) / cpu:.2f}x" if both else ""}

        runs["ingest"] = [ingest]
        rows.append(row(f"ringbus backtest {args.strategy}, {args.n:,} quotes CSV", "csv"))
        rows.append(row("ringbus ingest (once)", "ingest", vs_peer=False))
        rows.append(row(f"ringbus backtest {args.strategy}, from the catalog", "catalog"))
        if mbo:
            rows.append(row("ringbus backtest noop, ES MBO DBN (68.8 k records)", "mbo",
                            vs_peer=False))
            rows.append(row("  the same under numba's JIT (RINGBUS_AOT=0, numba cache warm)",
                            "mbo_jit", vs_peer=False))
            if "mbo_cold" in runs:
                rows.append(row("  the same, first run after install (kernels compiled, once)",
                                "mbo_cold", vs_peer=False))
        if peer:
            rows.append(row("nautilus whole process (same CSV)", "peer", vs_peer=False))
            for key in ("import_s", "load_s", "wall_s", "total_s"):
                if key in peer_doc:
                    rows.append({"workload": f"nautilus {key} (its own timer)", "wall_s": "",
                                 "cpu_s": "", "nautilus_s": round(float(peer_doc[key]), 3),
                                 "ratio": "", "cpu_ratio": ""})
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
