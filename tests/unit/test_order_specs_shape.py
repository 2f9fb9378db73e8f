"""``OrderList.bracket`` skips the list checks for its own shape: that shape passes them."""

from __future__ import annotations

import pytest

from domain.enums import OrderSide
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
