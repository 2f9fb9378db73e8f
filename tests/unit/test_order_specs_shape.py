"""``OrderList.bracket`` skips the list checks for its own shape: that shape passes them."""

from __future__ import annotations

import pytest

from domain.enums import ContingencyType, OrderSide, TimeInForce, TriggerType
from domain.order_specs import (
    _BRACKET_LINKS,
    _BRACKET_PARENTS,
    OrderList,
    OrderSpec,
    OrderSpecError,
)
from domain.values import Price, Quantity


def test_the_bracket_shape_passes_the_checks_it_skips() -> None:
    spec = OrderSpec.market(OrderSide.BUY, Quantity(1, 0))
    parents, links = tuple(list(_BRACKET_PARENTS)), tuple(list(_BRACKET_LINKS))
    assert parents is not _BRACKET_PARENTS  # equal values, other objects: checked in full
    OrderList((spec,) * 3, parents=parents, links=links)
    bracket = OrderList.bracket(OrderSide.BUY, Quantity(1, 0), take_profit=Price(110, 2),
                                stop_loss=Price(90, 2))
    assert (bracket.parents, bracket.links) == (parents, links)


def test_other_shapes_are_still_checked() -> None:
    spec = OrderSpec.market(OrderSide.BUY, Quantity(1, 0))
    with pytest.raises(OrderSpecError, match="out of range or self"):
        OrderList((spec,) * 3, parents=(-1, 0, 2), links=_BRACKET_LINKS)
    with pytest.raises(OrderSpecError, match="one length"):
        OrderList((spec,) * 2, parents=_BRACKET_PARENTS, links=_BRACKET_LINKS)


@pytest.mark.parametrize("side", [OrderSide.BUY, OrderSide.SELL])
@pytest.mark.parametrize("entry_price", [None, "1.0000"])
@pytest.mark.parametrize("emulation_trigger", [None, TriggerType.BID_ASK])
def test_bracket_legs_are_the_keyword_factories_specs(side, entry_price, emulation_trigger) -> None:
    """``OrderList.bracket`` builds its legs positionally: the same specs as the factories."""
    qty = Quantity(5, 0)
    tp, sl = (Price(11000, 4), Price(9000, 4)) if side == OrderSide.BUY else \
        (Price(9000, 4), Price(11000, 4))
    entry = None if entry_price is None else Price.from_str(entry_price)
    got = OrderList.bracket(side, qty, take_profit=tp, stop_loss=sl, entry_price=entry,
                            time_in_force=TimeInForce.DAY, tp_post_only=True,
                            emulation_trigger=emulation_trigger)
    exit_side = OrderSide.SELL if side == OrderSide.BUY else OrderSide.BUY
    oto, oco = ContingencyType.OTO, ContingencyType.OCO
    want = (
        OrderSpec.market(side, qty, contingency=oto) if entry is None else
        OrderSpec.limit(side, qty, entry, time_in_force=TimeInForce.DAY, contingency=oto),
        OrderSpec.limit(exit_side, qty, tp, time_in_force=TimeInForce.DAY, post_only=True,
                        reduce_only=True, contingency=oco),
        OrderSpec.stop_market(exit_side, qty, sl, time_in_force=TimeInForce.DAY,
                              reduce_only=True, contingency=oco,
                              emulation_trigger=emulation_trigger),
    )
    assert got.orders == want


def test_bracket_legs_are_still_checked() -> None:
    with pytest.raises(OrderSpecError, match="expire_time_ns"):
        OrderList.bracket(OrderSide.BUY, Quantity(1, 0), take_profit=Price(110, 2),
                          stop_loss=Price(90, 2), time_in_force=TimeInForce.GTD)
    with pytest.raises(OrderSpecError, match="quantity must be positive"):
        OrderList.bracket(OrderSide.BUY, Quantity(0, 0), take_profit=Price(110, 2),
                          stop_loss=Price(90, 2))


def test_bracket_initialized_values_resolve_links_as_the_general_path() -> None:
    bracket = OrderList.bracket(OrderSide.SELL, Quantity(3, 0), take_profit=Price(90, 2),
                                stop_loss=Price(110, 2))
    general = OrderList(bracket.orders, parents=tuple(list(_BRACKET_PARENTS)),
                        links=tuple(list(_BRACKET_LINKS)))
    args = ((11, 12, 13), 7, 5, 99, 2)
    assert bracket.initialized_values(*args) == general.initialized_values(*args)
    rows = bracket.initialized_values(*args)
    # entry: no link, no parent; take-profit and stop-loss linked to each other, parent entry
    assert [(r[15], r[16]) for r in rows] == [(0, 0), (13, 11), (12, 11)]
    with pytest.raises(OrderSpecError, match="precision"):
        bracket.initialized_values((11, 12, 13), 7, 5, 99, 4)
