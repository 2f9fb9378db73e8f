"""Hot-standby lag: how far ``ringbus standby`` runs behind a primary writing at 1 k and 10 k
inputs/s.

A real run (ema_cross on the bundled EUR/USD day: quotes, orders, fills) is journaled once; its
records are then re-committed into a fresh journal by this process, paced so that its market-data
inputs (quotes) arrive at ``rate`` per second (one commit every 10 ms, durability none), while a
``ringbus standby --json`` process folds them. Each status line the standby prints (one per
batch it folded, with its state hash) is timestamped on arrival: lag ms = arrival - the commit
time of that seq; records behind = the primary's last committed seq at arrival - the seq.
Takeover (``--takeover``; needs QuickFIX ordermatch, scripts/setup_ordermatch.sh): a real
``ringbus live`` primary at ordermatch (heartbeat every 0.1 s, resting and filled orders) and a
``ringbus standby --heartbeat-timeout 1``; the primary is SIGKILLed (signal: the writer lock is
released) or SIGSTOPped (signal: heartbeat silence; the standby fences it); takeover s = the
signal -> the FAILOVER record committed by the new primary (it has recovered the journal and
is logging on to the venue with the journaled sequence numbers).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from _common import parser, report

from domain.enums import RecordFlag
from domain.kinds import Kind
from journal import JournalWriter
from journal.reader import JournalReader
from journal.store import Journal

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "replay" / "demo_data" / "eurusd-histdata-20200101.csv.gz"
TICK_S = 0.01
SANDBOX = """
[binance]
ws_base_url = "ws://127.0.0.1:9"
rest_base_url = "http://127.0.0.1:9"
[[binance.symbols]]
symbol = "BTCUSDT"
price_precision = 1
size_precision = 3
[[strategies]]
name = "noop"
"""


def source_records(tmp: Path) -> np.ndarray:
    from replay.backtest import BacktestNode
    from replay.config import BacktestConfig, DataConfig, StrategyConfig

    run = BacktestNode(BacktestConfig(data=[DataConfig(str(DEMO), instrument_id="EUR/USD.SIM")],
                                      strategies=[StrategyConfig("ema_cross", {})],
                                      journal=str(tmp / "src"))).run()
    with Journal.open(run.journal, readonly=True) as journal:
        return JournalReader(journal).records_between(1)


def one_run(recs: np.ndarray, rate: int, n_inputs: int, path: Path) -> dict[str, float]:
    is_input = (recs["kind"] == Kind.QUOTE) & ((recs["flags"] & RecordFlag.INPUT) != 0)
    input_pos = np.flatnonzero(is_input)
    first = int(input_pos[0])
    end = int(input_pos[min(n_inputs, len(input_pos) - 1)])
    lines: queue.Queue[tuple[float, dict]] = queue.Queue()
    commits: list[tuple[int, float]] = []  # (last seq, monotonic time)
    config = path.with_suffix(".toml")  # valid; never used: the primary is not lost
    config.write_text(SANDBOX)
    with JournalWriter(path, "none") as writer:
        writer.on_batch(recs[:first])
        writer.commit()
        proc = subprocess.Popen(
            [sys.executable, "-m", "replay.cli", "standby", str(path), "--config",
             str(config), "--json", "--poll-s", "0.05"], stdout=subprocess.PIPE, text=True,
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})

        def read() -> None:
            for line in proc.stdout:
                lines.put((time.monotonic(), json.loads(line)))

        threading.Thread(target=read, daemon=True).start()
        lines.get(timeout=120)  # the standby folded the setup: start the clock
        per_tick = max(1, round(rate * TICK_S))
        start, pos, k = time.monotonic(), first, 0
        while pos < end:
            k += 1
            upto = int(input_pos[min(np.searchsorted(input_pos, pos) + per_tick,
                                     len(input_pos) - 1)])
            upto = min(upto, end)
            writer.on_batch(recs[pos:upto])
            writer.commit()
            commits.append((upto, time.monotonic()))
            pos = upto
            delay = start + k * TICK_S - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        deadline = time.monotonic() + 60
        got: list[tuple[float, dict]] = []
        while not got or got[-1][1]["seq"] < end:
            assert time.monotonic() < deadline, "the standby never caught up"
            got.append(lines.get(timeout=60))
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    seqs = np.array([c[0] for c in commits])
    times = np.array([c[1] for c in commits])
    lag_ms, behind = [], []
    for t, doc in got:
        if doc.get("status") != "following" or doc["seq"] <= first:
            continue
        i = int(np.searchsorted(seqs, doc["seq"]))  # the commit that made it visible
        lag_ms.append(max(0.0, (t - times[min(i, len(times) - 1)]) * 1000))
        j = int(np.searchsorted(times, t, side="right")) - 1
        behind.append(max(0, int(seqs[j]) - doc["seq"]) if j >= 0 else 0)
    return {"lag_ms_p50": float(np.percentile(lag_ms, 50)),
            "lag_ms_p99": float(np.percentile(lag_ms, 99)),
            "behind_p99": float(np.percentile(behind, 99)), "behind_max": float(max(behind))}


def one_takeover(sig: signal.Signals, tmp: Path, timeout_s: float) -> float:
    """One primary + standby at a fresh ordermatch; returns signal -> FAILOVER seconds."""
    from adapters.fix.venue import OrdermatchVenue, find_ordermatch
    from tests.live.fixclient import LiquidityClient
    from tests.live.live_rig import PASSWORD_ENV, journal_records
    from tests.live.test_failover import CONFIG, Proc, _has, _json, _steps

    folder = find_ordermatch()
    if folder is None:
        raise SystemExit("--takeover needs QuickFIX ordermatch: run scripts/setup_ordermatch.sh")
    journal = tmp / "live"
    with OrdermatchVenue(folder, tmp / "venue", ["RINGBUS", "LIQUIDITY"]) as venue:
        liquidity = LiquidityClient(venue.port)
        config = tmp / "live.toml"
        config.write_text(CONFIG.format(journal=journal, symbol="P", steps=_steps(),
                                        port=venue.port, password_env=PASSWORD_ENV)
                          + "heartbeat_interval_s = 0.1\n")
        liquidity.limit("P", "SELL", 15, "10.00")
        primary = Proc("live", "--config", str(config), "--quotes-stdin", "--json", stdin=True)
        standby = None
        try:
            primary.until(lambda s: s.startswith("READY"), 60, "the primary's READY")
            standby = Proc("standby", str(journal), "--config", str(config), "--json",
                           "--heartbeat-timeout", str(timeout_s))
            for _ in range(3):
                primary.p.stdin.write("P.ORDERMATCH 9.99 10.00\n")
                primary.p.stdin.flush()
                time.sleep(0.1)
            standby.until(lambda s: _json(s).get("status") == "following", 60, "the standby")
            while np.count_nonzero(journal_records(journal)["kind"] == Kind.HEARTBEAT) < 10:
                time.sleep(0.05)
            time.sleep(0.3)
            primary.p.send_signal(sig)
            t0 = time.monotonic()
            while not _has(journal, Kind.FAILOVER):
                assert time.monotonic() - t0 < 60, "no FAILOVER"
                time.sleep(0.005)
            took = time.monotonic() - t0
            standby.p.send_signal(signal.SIGTERM)
            standby.p.wait(60)
        finally:
            primary.p.send_signal(signal.SIGCONT)
            primary.stop()
            if standby is not None:
                standby.stop()
            liquidity.close()
    return took


def takeover_rows(repeats: int, timeout_s: float) -> list[dict]:
    rows = []
    for sig, how in ((signal.SIGKILL, "SIGKILL: writer lock released"),
                     (signal.SIGSTOP, f"SIGSTOP: heartbeat silence > {timeout_s:g} s, fenced")):
        with tempfile.TemporaryDirectory() as tmp:
            runs = [one_takeover(sig, Path(tmp) / f"t{i}", timeout_s) for i in range(repeats)]
        rows.append({"primary": how, "runs": len(runs),
                     "takeover_s_median": round(float(np.median(runs)), 3),
                     "takeover_s_max": round(max(runs), 3)})
    return rows


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=3.0, help="primary run length per row")
    p.add_argument("--takeover", action="store_true",
                   help="measure takeover of a live node at ordermatch instead of the lag")
    p.add_argument("--heartbeat-timeout", type=float, default=1.0,
                   help="the standby's heartbeat timeout in the --takeover rows (seconds)")
    args = p.parse_args()
    if args.takeover:
        report("standby takeover of a live node at ordermatch",
               takeover_rows(max(1, args.repeats), args.heartbeat_timeout), args.json)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        recs = source_records(Path(tmp))
        for rate in (1_000, 10_000):
            runs = [one_run(recs, rate, int(rate * args.seconds), Path(tmp) / f"j{rate}-{i}")
                    for i in range(max(1, args.repeats))]
            med = {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
            rows.append({"inputs_per_s": rate, "runs": len(runs),
                         "lag_ms_p50": round(med["lag_ms_p50"], 2),
                         "lag_ms_p99": round(med["lag_ms_p99"], 2),
                         "records_behind_p99": round(med["behind_p99"]),
                         "records_behind_max": round(med["behind_max"])})
    report("standby lag behind a primary", rows, args.json)


if __name__ == "__main__":
    main()
