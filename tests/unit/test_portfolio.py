"""The portfolio's PnL and exposure against hand-computed values."""

from __future__ import annotations

from domain.currencies import Currency
from domain.enums import OrderSide
from engines.portfolio import Portfolio
from engines.risk_checks import RiskConfig
from tests.unit.test_risk_harness import Harness


def _filled(h: Harness, side: OrderSide, qty: int, px: str, trade_id: int) -> None:
    coid = h.order(side=side, qty=qty, price=px)
    h.submit(coid)
    h.accept(coid)
    h.fill(coid, side, qty, px, trade_id=trade_id, commission=20)


def test_a_long_is_marked_at_the_bid_and_pnl_is_hand_computed():
    h = Harness()
    h.quote("1.10000", "1.10010")
    _filled(h, OrderSide.BUY, 10_000, "1.10000", 1)
    h.quote("1.10500", "1.10520")
    pf = Portfolio(h.cache)
    # unrealized: 10000 * (1.10500 - 1.10000) = 50.00 USD = 5000 cents
    assert pf.unrealized_pnl_raw(h.iid) == 5000
    assert pf.realized_pnl_raw(h.iid) == -20  # the commission
    assert pf.total_pnl_raw(h.iid) == 4980
    assert pf.net_position_raw(h.iid) == 10_000
    assert pf.net_exposure_raw(h.iid) == 1_105_000  # 10000 * 1.105 = 11050.00 USD


def test_a_short_is_marked_at_the_ask_and_mid_marking_uses_the_mid():
    h = Harness(RiskConfig(short_selling={"EUR/USD.SIM"}))  # a cash account that may go short
    h.quote("1.10000", "1.10010")
    _filled(h, OrderSide.SELL, 10_000, "1.10000", 1)
    h.quote("1.09900", "1.09920")
    assert Portfolio(h.cache).unrealized_pnl_raw(h.iid) == 800  # 10000 * 0.00080
    assert Portfolio(h.cache, mark="mid").unrealized_pnl_raw(h.iid) == 900  # mid 1.09910
    assert Portfolio(h.cache).net_exposure_raw(h.iid) == -1_099_200


def test_realized_pnl_after_a_round_trip_and_totals_by_currency():
    h = Harness()
    h.quote("1.10000", "1.10010")
    _filled(h, OrderSide.BUY, 10_000, "1.10000", 1)
    _filled(h, OrderSide.SELL, 10_000, "1.10300", 2)
    pf = Portfolio(h.cache)
    assert pf.realized_pnl_raw(h.iid) == 3000 - 40  # 30.00 USD minus two 0.20 commissions
    assert pf.unrealized_pnl_raw(h.iid) == 0
    usd = Currency.from_code("USD").packed
    assert pf.totals_by_currency() == {usd: {"realized": 2960, "unrealized": 0}}
    (row,) = pf.balances(h.account_id)
    assert row["currency"] == usd
