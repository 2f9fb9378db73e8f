"""The live node against QuickFIX ordermatch: strategies trade through the kernel and the FIX
adapter while a second FIX client provides the other side of the book."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.kinds import Kind
from domain.order_fsm import OrderStatus
from replay.nodes.live import LiveNode
from tests.live.live_rig import (
    PASSWORD,
    PASSWORD_ENV,
    SYMBOL,
    journal_records,
    live_raw,
    quote,
    wait_until,
)


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)


def _orders(node: LiveNode) -> dict[int, object]:
    return dict(node.kernel.ctx.cache.trading.orders)


def test_a_limit_order_through_the_live_node_fills_at_ordermatch(ordermatch, liquidity,
                                                                 tmp_path: Path):
    liquidity.limit("MSFT", "SELL", 100, "10.00")
    node = LiveNode(live_raw(ordermatch.port, tmp_path / "live",
                             [{"at": 1, "do": "limit", "side": "BUY", "qty": "100",
                               "price": "10.00", "name": "a"}])).start()
    iid = node.instrument_id(SYMBOL)
    node.push(quote(iid, "9.99", "10.00"))
    wait_until(lambda: any(o.status == OrderStatus.FILLED for o in _orders(node).values()),
               what="the order filled")
    run = node.stop()
    assert run.end_reason == "CLEAN"
    records = journal_records(tmp_path / "live")
    kinds = records["kind"].tolist()
    for kind in (Kind.SUBMIT_ORDER, Kind.ORDER_SUBMITTED, Kind.ORDER_ACCEPTED, Kind.ORDER_FILLED,
                 Kind.POSITION_OPENED, Kind.RUN_ENDED):
        assert kind in kinds, Kind(kind).name
    fill = records[records["kind"] == Kind.ORDER_FILLED]
    assert len(fill) == 1
    assert fill["ts_init"][0] > 0
    # the journal re-executes: every strategy decision and order event reproduced
    from replay.reexecute import reexecute

    result = reexecute(tmp_path / "live", trust_code=True)
    assert result.ok, result.format()
    # credentials never enter a record: neither journal's files hold the password
    for path in (tmp_path / "live", tmp_path / "live.fix"):
        for f in (p for p in path.rglob("*") if p.is_file()):
            assert PASSWORD.encode() not in f.read_bytes(), f
