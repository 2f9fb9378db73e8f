"""A bar-only backtest from the command line (issue 12): bid and ask minute bars, no quotes,
a bracket strategy; orders fill, inside their bars, on the right side."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from domain.enums import PriceType
from domain.kinds import KIND_DTYPES, Kind
from journal.reader import JournalReader
from journal.store import Journal
from tests.unit.test_bar_execution import fills_within_bars

ROOT = Path(__file__).resolve().parents[2]


def _head(src: Path, dst: Path, n: int) -> Path:
    dst.write_text("".join(src.read_text().splitlines(keepends=True)[: n + 1]))
    return dst


def test_a_bar_only_backtest_fills_brackets_inside_the_bars(shared_data: Path,
                                                            tmp_path: Path) -> None:
    bid = _head(shared_data / "gbpusd-m1-bid-2012.csv", tmp_path / "gbpusd-m1-bid.csv", 1500)
    ask = _head(shared_data / "gbpusd-m1-ask-2012.csv", tmp_path / "gbpusd-m1-ask.csv", 1500)
    out = subprocess.run(
        [sys.executable, "-m", "replay.cli", "backtest", "--strategy",
         "examples.bracket.strategy:BracketEveryN", "--param", "instrument=GBP/USD.SIM",
         "--data", str(bid), "--data", str(ask), "--instrument", "GBP/USD.SIM",
         "--journal", str(tmp_path / "j"), "--json", "--quiet"],
        capture_output=True, text=True, cwd=ROOT, check=True)
    result = json.loads(out.stdout)
    assert result["n_fills"] > 50
    with Journal.open(tmp_path / "j") as journal:
        log = JournalReader(journal).records_between(1)
    bars = log[log["kind"] == int(Kind.BAR)]
    typed = bars.view(KIND_DTYPES[Kind.BAR])
    bid_bars = bars[typed["price_type"] == int(PriceType.BID)]  # named by the file: BID bars
    ask_bars = bars[typed["price_type"] == int(PriceType.ASK)]
    assert len(bid_bars) == len(ask_bars) == 1500
    assert fills_within_bars(log, bid_bars, ask_bars) == result["n_fills"]
    assert int((log["kind"] == int(Kind.ORDER_DENIED)).sum()) == 0
    assert np.all(np.diff(log["ts_init"].astype(np.int64)) >= 0)
