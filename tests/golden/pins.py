"""The runs whose state hashes are pinned in ``tests/golden/pinned_hashes.json``.

Each function runs one workload in ``workdir`` and returns its state hash (16 hex digits):
- ``demo``: ``ringbus demo``'s backtest (ema_cross on the bundled EUR/USD quotes);
- ``es_mbo_noop``: noop over the shared ES MBO file (L3 book through the simulated exchange);
- ``ema_cross_seed42``: ema_cross over the 100 000 seed-42 quotes of the NautilusTrader peer's
  ``gen_quotes.py`` (header renamed for the quotes loader), as AUD/USD.SIM.

Regenerate the pins (only for a deliberate change of behaviour; say why in the commit):
``python -m tests.golden.regen_pins``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from replay.backtest import BacktestNode
from replay.commands.demo import DEMO_DATA
from replay.config import BacktestConfig, DataConfig, StrategyConfig

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
GEN_QUOTES = SHARED / "peers" / "nautilus" / "gen_quotes.py"
ES = SHARED / "data" / "esh4-glbx-mdp3-20231225.mbo.dbn.zst"
PINS = Path(__file__).with_name("pinned_hashes.json")


def _run(config: BacktestConfig) -> str:
    return f"{BacktestNode(config).run().state_hash:016x}"


def _in_workdir(workdir: Path, data: Path, run: Callable[[str], str]) -> str:
    """Runs ``run`` with ``data`` linked into ``workdir`` and given by its bare name from there:
    the data path is in the manifest (interned: in the state), so a pin must not depend on
    where the checkout or the shared data lie."""
    link = workdir / data.name
    if not link.exists():
        link.symlink_to(data.resolve())
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        return run(data.name)
    finally:
        os.chdir(cwd)


def demo(workdir: Path) -> str:
    return _in_workdir(workdir, Path(DEMO_DATA), lambda name: _run(BacktestConfig(
        data=[DataConfig(name, instrument_id="EUR/USD.SIM")],
        strategies=[StrategyConfig("ema_cross")], journal=str(workdir / "demo"))))


def es_mbo_noop(workdir: Path) -> str:
    return _in_workdir(workdir, ES, lambda name: _run(BacktestConfig(
        data=[DataConfig(name)], strategies=[StrategyConfig("noop")],
        journal=str(workdir / "es-noop"))))


def seed42_quotes(workdir: Path) -> Path:
    """Writes the 100 000 seed-42 quotes (``timestamp`` header); returns the file."""
    raw = workdir / "seed42-raw.csv"
    subprocess.run([sys.executable, str(GEN_QUOTES), "--n", "100000", "--seed", "42",
                    "--out", str(raw)], check=True, capture_output=True)
    out = workdir / "audusd-seed42.csv"
    lines = raw.read_text().splitlines()
    lines[0] = lines[0].replace("ts_ns", "timestamp", 1)
    out.write_text("\n".join(lines) + "\n")
    return out


def ema_cross_seed42(workdir: Path) -> str:
    return _in_workdir(workdir, seed42_quotes(workdir), lambda name: _run(BacktestConfig(
        data=[DataConfig(name, instrument_id="AUD/USD.SIM")],
        strategies=[StrategyConfig("ema_cross")], journal=str(workdir / "ema-seed42"))))


WORKLOADS: dict[str, Callable[[Path], str]] = {
    "demo": demo, "es_mbo_noop": es_mbo_noop, "ema_cross_seed42": ema_cross_seed42}
