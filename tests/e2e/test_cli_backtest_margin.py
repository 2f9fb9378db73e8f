"""``ringbus backtest --balance`` on a small margin account: the EMA cross is stopped by margin
denials, and a free balance below zero is always followed by a MARGIN_CALL (the CLI as a user
runs it)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from domain.codec import as_kind
from domain.kinds import Kind
from journal.reader import JournalReader
from journal.store import Journal
from tests.e2e.test_cli_backtest import ringbus


def test_ema_cross_with_a_small_balance_is_denied_by_margin(tmp_path: Path,
                                                             shared_data: Path) -> None:
    out = ringbus("backtest", "--strategy", "ema_cross", "--data",
                  str(shared_data / "quote_tick_data.csv"), "--instrument", "EUR/USD.SIM",
                      "--balance", "3500USD", "--json",
                  "--journal", str(tmp_path / "j"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["n_fills"] > 0 and doc["n_denied"] > 0
    assert doc["denied_reasons"][0]["reason"] == "margin"
    assert doc["denied_reasons"][0]["example"].startswith("margin: order needs initial margin")
    assert {"total_pnl", "return_pct", "sharpe", "sortino", "max_drawdown_pct"} <= set(doc)
    with Journal.open(tmp_path / "j") as j:
        recs = JournalReader(j).records_between()
    states = as_kind(recs[recs["kind"] == Kind.ACCOUNT_STATE], Kind.ACCOUNT_STATE)
    calls = as_kind(recs[recs["kind"] == Kind.MARGIN_CALL], Kind.MARGIN_CALL)
    negative = states[states["balance_free"] < 0]
    assert np.array_equal(negative["seq"] + 1, calls["seq"])
