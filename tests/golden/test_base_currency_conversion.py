"""A USD margin account trading USD/JPY (real TrueFX ticks): PnL and commissions settle in JPY
and are converted into USD at rates the journal carries (FX_RATE records); the USD result is
recomputed from the journal alone."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np

from domain.codec import as_kind
from domain.currencies import Currency
from domain.kinds import Kind
from journal.reader import JournalReader
from journal.store import Journal
from replay.backtest import BacktestNode
from replay.config import BacktestConfig, DataConfig, StrategyConfig, VenueConfig
from replay.reexecute import reexecute
from replay.report import format_report, write_report

USD, JPY = Currency.from_code("USD"), Currency.from_code("JPY")


def usdjpy(tmp_path: Path, shared_data: Path, **venue) -> object:
    cfg = BacktestConfig(
        data=[DataConfig(str(shared_data / "usdjpy-ticks.csv"), instrument_id="USD/JPY.SIM")],
        strategies=[StrategyConfig("ema_cross")], journal=str(tmp_path / "journal"),
        venues=[VenueConfig(starting_balances=["1000000 USD"], **venue)])
    return BacktestNode(cfg).run()


def records(path: str, kind: Kind) -> np.ndarray:
    with Journal.open(path) as j:
        recs = JournalReader(j).records_between()
    return as_kind(recs[recs["kind"] == kind], kind)


def test_usd_pnl_equals_the_jpy_pnl_converted_at_the_journaled_rates(
        tmp_path: Path, shared_data: Path) -> None:
    run = usdjpy(tmp_path, shared_data, base_currency="USD")
    s = run.result.summary
    assert s["n_denied"] == 0 and s["n_fills"] > 50 and s["currency"] == "USD"
    fx = records(run.journal, Kind.FX_RATE)
    moved = fx[fx["amount_from"] != 0]
    assert len(moved) == s["n_fills"]  # one conversion per fill
    assert set(moved["from_currency"]) == {JPY.packed} and set(moved["to_currency"]) == {USD.packed}
    for r in moved:  # each conversion is the JPY amount times its rate, half away from zero
        exact = Fraction(int(r["amount_from"])) * Fraction(float(r["rate"])) * 100
        assert int(r["amount_to"]) == int(abs(exact) + Fraction(1, 2)) * (1 if exact >= 0 else -1)
        assert r["rate_source"] == 2  # 1 / mid of USD/JPY: the inverse pair
    # the JPY amounts are exactly what the fills moved: realized net of every commission
    jpy = Decimal(s["realized_pnl"]["JPY"]) - Decimal(s["open_commissions"]["JPY"])
    assert Decimal(int(moved["amount_from"].sum())) == jpy
    # ... and the USD balance moved by exactly their conversions; no JPY is left
    usd_change = Decimal(int(moved["amount_to"].sum())) / 100
    assert s["final_balances"]["SIM-001"] == {"USD": str(Decimal("1000000.00") + usd_change),
                                              "JPY": "0"}
    assert s["converted_to_base"]["JPY"]["amount_to"] == str(usd_change)


def test_the_converted_run_re_executes_from_its_inputs(tmp_path: Path, shared_data: Path) -> None:
    run = usdjpy(tmp_path, shared_data, base_currency="USD")
    result = reexecute(run.journal)
    assert result.ok, result


def test_without_a_rate_into_the_base_currency_orders_are_denied_with_that_reason(
        tmp_path: Path, shared_data: Path) -> None:
    s = usdjpy(tmp_path, shared_data, base_currency="EUR").result.summary
    assert s["n_fills"] == 0 and s["n_denied"] == s["n_orders"] > 0
    assert s["denied_reasons"][0]["example"].startswith(
        "fx rate: no quote converts JPY to EUR")


def test_a_single_currency_account_takes_it_as_its_base_currency(
        tmp_path: Path, shared_data: Path) -> None:
    s = usdjpy(tmp_path, shared_data).result.summary  # no base_currency configured
    assert s["currency"] == "USD" and s["n_denied"] == 0 and s["n_fills"] > 50
    assert s["final_balances"]["SIM-001"]["JPY"] == "0"


def test_without_a_base_several_currencies_are_reported_each_never_by_list_order(
        tmp_path: Path, shared_data: Path) -> None:
    cfg = BacktestConfig(
        data=[DataConfig(str(shared_data / "usdjpy-ticks.csv"), instrument_id="USD/JPY.SIM")],
        strategies=[StrategyConfig("ema_cross")], journal=str(tmp_path / "journal"),
        venues=[VenueConfig(starting_balances=["1000000 USD", "100000000 JPY"])])
    run = BacktestNode(cfg).run()
    s = run.result.summary
    assert "n/a (several currencies, no base currency" in format_report(run)
    write_report(run, tmp_path / "report")  # no equity curve to write, still a whole report
    assert s["currency"] is None and s["total_pnl"] is None and s["sharpe"] is None
    assert s["n_fills"] > 50 and s["realized_pnl"]["JPY"] != "0"
    assert s["converted_to_base"] == {}
    assert s["final_balances"]["SIM-001"]["USD"] == "1000000.00"  # nothing converted


def test_a_cash_account_values_its_other_currency_at_the_current_rate(
        tmp_path: Path, shared_data: Path) -> None:
    cfg = BacktestConfig(
        data=[DataConfig(str(shared_data / "usdjpy-ticks.csv"), instrument_id="USD/JPY.SIM")],
        strategies=[StrategyConfig("noop")], journal=str(tmp_path / "journal"),
        equity_interval_ns=60 * 10**9,
        venues=[VenueConfig(account_type="CASH", base_currency="USD",
                            starting_balances=["1000000 USD", "100000000 JPY"])])
    run = BacktestNode(cfg).run()
    eq = run.result.equity
    assert len(set(eq.tolist())) > 20  # no trade: the JPY balance moves with USD/JPY
    last = records(run.journal, Kind.QUOTE)[-1]
    mid = (int(last["bid"]) + int(last["ask"])) / 2 / 1000
    jpy_in_usd = Fraction(100_000_000) * Fraction(1.0 / mid) * 100
    assert int(eq[-1]) == 1_000_000_00 + int(jpy_in_usd + Fraction(1, 2))
