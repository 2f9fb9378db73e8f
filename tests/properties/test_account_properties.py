"""Money invariants of whole backtests under random prices and random trading, on cash and
margin accounts: equity is balances plus holdings at their marks, a margin account's free
balance is never negative without a MARGIN_CALL record, commissions are the per-fill fees."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.codec import as_kind
from domain.enums import LiquiditySide, OrderSide
from domain.instruments import Instrument
from domain.kinds import Kind
from engines.exchange import InstrumentRates
from engines.strategy import Strategy
from journal.reader import JournalReader
from journal.store import Journal
from replay.backtest import BacktestNode
from replay.backtest_data import DataSource
from replay.config import BacktestConfig, VenueConfig
from tests.unit.test_backtest_helpers import quotes

SYM = "EUR/USD.SIM"
INST = Instrument.fx_pair(SYM)


class Scripted(Strategy):
    """Plays one action per quote: 0 nothing, +n buy n lots of 10 000, -n sell n lots."""

    def __init__(self, actions: list[int]) -> None:
        super().__init__("scripted")
        self.actions, self.i = actions, 0

    def on_start(self) -> None:
        self.subscribe_quotes(SYM)

    def on_quote(self, quote) -> None:
        a = self.actions[self.i % len(self.actions)]
        self.i += 1
        if a:
            side = OrderSide.BUY if a > 0 else OrderSide.SELL
            self.submit_order(self.order_factory.market(SYM, side, abs(a) * 10_000))


runs = st.fixed_dictionaries({
    "steps": st.lists(st.integers(-40, 40), min_size=20, max_size=120),
    "actions": st.lists(st.integers(-30, 30) | st.just(0), min_size=1, max_size=30),
    "account": st.sampled_from(["CASH", "MARGIN"]),
    "balance": st.sampled_from(["3000 USD", "50000 USD", "1000000 USD"]),
})


def backtest(tmp: str, p: dict) -> tuple[object, np.ndarray]:
    mids = 110_000 + np.cumsum(np.asarray(p["steps"], dtype=np.int64))
    records = quotes(mids, spread_raw=4, step_ns=5 * 10**9)
    cfg = BacktestConfig(journal=f"{tmp}/journal", equity_interval_ns=10**10,
                         venues=[VenueConfig(account_type=p["account"],
                                             starting_balances=[p["balance"]],
                                             short_selling=[SYM])])
    run = BacktestNode(cfg, strategies=[Scripted(p["actions"])],
                       data=[DataSource.from_records(INST, [records])]).run()
    with Journal.open(Path(run.journal)) as j:
        log = JournalReader(j).records_between()
    return run, log


def of_kind(log: np.ndarray, kind: Kind) -> np.ndarray:
    return as_kind(log[log["kind"] == kind], kind)


def open_cost(fills: np.ndarray) -> tuple[int, Fraction]:
    """Folds the fills independently: (signed quantity held, exact signed cost of it in USD);
    a reduction removes its share of the cost, a flip reopens at the fill price."""
    held, cost = 0, Fraction(0)
    for f in fills:
        q = int(f["last_qty"]) * (1 if f["side"] == OrderSide.BUY else -1)
        px = Fraction(int(f["last_px"]), 10**5)
        if held == 0 or (held > 0) == (q > 0):
            held, cost = held + q, cost + q * px
            continue
        cost -= cost * min(abs(q), abs(held)) / abs(held)
        after = held + q
        if after and (after > 0) != (held > 0):
            cost = after * px
        held = after
    return held, cost


@settings(max_examples=25)
@given(runs)
def test_final_equity_is_balances_plus_holdings_at_their_marks(p: dict) -> None:
    with TemporaryDirectory() as tmp:
        run, log = backtest(tmp, p)
    fills, last = of_kind(log, Kind.ORDER_FILLED), of_kind(log, Kind.QUOTE)[-1]
    held, cost = open_cost(fills)
    cash = Fraction(Decimal(run.result.summary["final_balances"]["SIM-001"]["USD"]))
    mark = Fraction(int(last["bid"] if held > 0 else last["ask"]), 10**5)
    if p["account"] == "CASH":  # the holding at its mark, on top of the cash paid for it
        expected, slack = cash + held * mark, Fraction(1, 200)
    else:  # margin: the balance plus the open position's unrealized PnL
        expected, slack = cash + held * mark - cost, Fraction(len(fills) + 1, 100)
    equity = Fraction(int(run.result.equity[-1]), 100)
    assert abs(equity - expected) <= slack, (float(equity), float(expected))


@settings(max_examples=25)
@given(runs)
def test_free_balance_is_never_negative_on_a_margin_account_without_a_margin_call(
        p: dict) -> None:
    p = {**p, "account": "MARGIN"}
    with TemporaryDirectory() as tmp:
        _, log = backtest(tmp, p)
    states, calls = of_kind(log, Kind.ACCOUNT_STATE), of_kind(log, Kind.MARGIN_CALL)
    negative = states[states["balance_free"] < 0]
    assert sorted(int(s) + 1 for s in negative["seq"]) == sorted(int(c) for c in calls["seq"])
    assert (calls["balance_free"] < 0).all()


@settings(max_examples=25)
@given(runs)
def test_commissions_are_the_sum_of_the_per_fill_fees(p: dict) -> None:
    with TemporaryDirectory() as tmp:
        run, log = backtest(tmp, p)
    fills = of_kind(log, Kind.ORDER_FILLED)
    fees = InstrumentRates()
    for f in fills:
        assert int(f["commission"]) == fees.commission(
            INST, LiquiditySide(int(f["liquidity_side"])), int(f["last_qty"]),
            int(f["last_px"]))[0]
    total = Decimal(int(fills["commission"].sum())) / 100
    reported = run.result.summary["commissions"].get("USD", "0")
    assert Decimal(reported) == total
