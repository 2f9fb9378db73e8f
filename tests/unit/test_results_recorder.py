"""The results recorder folds the summary's sums as it goes, and the run's memory bounds
(``[run] order_history`` / ``keep_records``) cut only the tables: with records off (a node that
must not grow with its fills) or bounded, the summary's figures are the same, the tables are
refused or hold their first N rows, and the summary says which tables were cut."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from domain.enums import RecordFlag
from domain.instruments import Instrument
from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
from replay.backtest import BacktestNode, hashed_config
from replay.backtest_data import DataSource
from replay.config import BacktestConfig, RunConfig, StrategyConfig


def _quotes(n: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    q = np.zeros(n, dtype=KIND_DTYPES[Kind.QUOTE])
    q["ts_event"] = q["ts_init"] = 1_700_000_000_000_000_000 + np.cumsum(
        rng.integers(50_000_000, 500_000_000, n))
    q["kind"] = Kind.QUOTE
    q["flags"] = RecordFlag.INPUT
    q["price_precision"] = 5
    mid = 110_000 + np.cumsum(rng.integers(-1, 2, n))
    q["bid"], q["ask"] = mid, mid + 2
    q["bid_size"] = q["ask_size"] = 1_000_000
    return q.view(RECORD_DTYPE)


def _run(tmp_path: Path, name: str, run: RunConfig | None = None) -> object:
    inst = Instrument.fx_pair("EUR/USD.SIM", price_precision=5)
    source = DataSource.from_records(inst, [_quotes(6000)], name="walk")
    config = BacktestConfig(strategies=[StrategyConfig("ema_cross")],
                            journal=str(tmp_path / name), run=run or RunConfig())
    return BacktestNode(config, data=[source]).run()


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> object:
    return _run(tmp_path_factory.mktemp("kept"), "kept")


def test_a_recorder_that_keeps_no_records_gives_the_same_summary(tmp_path: Path, kept) -> None:
    lean = _run(tmp_path, "lean", RunConfig(order_history=3, keep_records=False))
    s = kept.result.summary
    assert s["n_fills"] > 100 and s["n_positions"] > 50 and "tables_left_out" not in s
    cut = dict(lean.result.summary)
    assert cut.pop("tables_left_out") == {
        "orders": f"{len(lean.result.orders)} of {s['n_orders']}",
        "fills": f"0 of {s['n_fills']}", "positions": f"0 of {s['n_positions']}"}
    assert cut == s
    assert lean.state_hash == kept.state_hash and lean.run_id == kept.run_id
    assert len(lean.result.orders) <= 3 + 1  # the closed history plus the open order, if any
    assert len(kept.result.fills) == s["n_fills"]
    with pytest.raises(ValueError, match="keep_records is 0"):
        lean.result.fills  # noqa: B018 - reading the table is the act under test


def test_bounded_tables_hold_the_first_rows_and_pair_each_close_with_its_open(
        tmp_path: Path, kept) -> None:
    bounded = _run(tmp_path, "bounded", RunConfig(keep_records=10))
    s = kept.result.summary
    assert bounded.result.summary["tables_left_out"] == {
        "fills": f"10 of {s['n_fills']}", "positions": f"10 of {s['n_positions']}"}
    assert bounded.result.fills == kept.result.fills[:10]
    assert bounded.result.positions == kept.result.positions[:10]


def test_memory_bounds_are_not_part_of_the_run_identity() -> None:
    a = BacktestConfig(run=RunConfig(order_history=None, keep_records=True))
    assert hashed_config(a, []) == hashed_config(BacktestConfig(), [])
    assert "run" not in hashed_config(a, [])


def test_the_fills_and_positions_tables_read_as_the_journal_reads_record_by_record(
        tmp_path: Path, kept) -> None:
    """The tables (built column by column) against the journal's own records, one at a time:
    every fill in log order; every position cycle, its k-th close paired with its k-th open."""
    from domain.codec import fields_of
    from domain.currencies import Currency
    from domain.enums import LiquiditySide, OrderSide, PositionSide
    from domain.values import fixed_text
    from journal.reader import JournalReader
    from journal.store import Journal

    records = JournalReader(Journal.open(kept.journal)).records_between()
    fills, opens, closes = [], [], {}
    for rec in records:
        kind = int(rec["kind"])
        if kind in (Kind.ORDER_FILLED, Kind.POSITION_OPENED, Kind.POSITION_CLOSED):
            f = fields_of(rec)
            if kind == Kind.ORDER_FILLED:
                ccy = Currency.from_packed(f["commission_currency"])
                fills.append({
                    "seq": f["seq"], "ts_event": f["ts_event"],
                    "client_order_id": f["client_order_id"], "instrument": "EUR/USD.SIM",
                    "side": OrderSide(f["side"]).name,
                    "liquidity": LiquiditySide(f["liquidity_side"]).name,
                    "last_qty": fixed_text(f["last_qty"], f["size_precision"]),
                    "last_px": fixed_text(f["last_px"], f["price_precision"]),
                    "trade_id": f["trade_id"],
                    "commission": fixed_text(f["commission"], ccy.precision),
                    "commission_currency": ccy.code})
            elif kind == Kind.POSITION_OPENED:
                opens.append(f)
            else:
                closes.setdefault(f["position_id"], []).append(f)
    assert kept.result.fills == fills and len(fills) > 100
    rows = kept.result.positions
    assert len(rows) == len(opens) > 50
    seen: dict[int, int] = {}
    for row, o in zip(rows, opens, strict=True):
        k = seen[o["position_id"]] = seen.get(o["position_id"], -1) + 1
        c = closes.get(o["position_id"], [])[k:k + 1]
        ccy = Currency.from_packed(o["currency"])
        assert row == {
            "position_id": o["position_id"], "instrument": "EUR/USD.SIM",
            "strategy": "ema_cross", "side": PositionSide(o["side"]).name,
            "ts_opened": o["ts_opened"], "ts_closed": c[0]["ts_event"] if c else "",
            "avg_px_open": o["avg_px_open"], "avg_px_close": c[0]["avg_px_close"] if c else "",
            "realized_pnl": fixed_text(c[0]["realized_pnl"], ccy.precision) if c else "",
            "currency": ccy.code}
    assert sum(1 for r in rows if r["ts_closed"] == "") <= 1
