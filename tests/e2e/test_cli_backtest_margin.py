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


def test_memory_bounds_from_the_command_line_keep_the_figures_and_say_what_was_cut(
        tmp_path: Path, shared_data: Path) -> None:
    def run(name: str, *extra: str) -> dict:
        out = ringbus("backtest", "--strategy", "ema_cross", "--data",
                      str(shared_data / "quote_tick_data.csv"), "--instrument", "EUR/USD.SIM",
                      "--balance", "3500USD", "--json", "--journal", str(tmp_path / name),
                      *extra, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    whole = run("whole")
    cut = run("cut", "--order-history", "3", "--keep-records", "none")
    left_out = cut.pop("tables_left_out")
    assert left_out == {"orders": f"{left_out['orders'].split()[0]} of {whole['n_orders']}",
                        "fills": f"0 of {whole['n_fills']}",
                        "positions": f"0 of {whole['n_positions']}"}
    for key in ("journal", "report", "wall_s", "records_per_s"):
        cut.pop(key), whole.pop(key)
    assert cut == whole  # same figures, refusals, run id and state hash
    report = tmp_path / "cut" / "report"
    assert (report / "orders.csv").is_file() and not (report / "fills.csv").exists()
    bad = ringbus("backtest", "--strategy", "ema_cross", "--data",
                  str(shared_data / "quote_tick_data.csv"), "--instrument", "EUR/USD.SIM",
                  "--order-history", "many", cwd=tmp_path)
    assert bad.returncode == 2 and "--order-history" in bad.stderr
