"""Client order ids of the order factory: ``ClientOrderId.of(strategy_index, counter)``."""

from __future__ import annotations

import pytest

from domain.identifiers import MAX_COUNTER, MAX_STRATEGY_INDEX, ClientOrderId, InvalidIdentifier
from engines.order_factory import OrderFactory


def _factory(index: int) -> OrderFactory:
    return OrderFactory(index, lambda instrument: instrument, lambda iid: None)


@pytest.mark.parametrize("index", [0, 1, 7, MAX_STRATEGY_INDEX])
def test_next_id_is_the_client_order_id_of_the_strategy_index_and_counter(index: int) -> None:
    factory = _factory(index)
    ids = [factory.next_id() for _ in range(3)]
    assert ids == [ClientOrderId.of(index, c).value for c in (1, 2, 3)]
    factory.counter = MAX_COUNTER - 1
    assert factory.next_id() == ClientOrderId.of(index, MAX_COUNTER).value


def test_next_id_past_the_last_counter_raises_naming_the_counter() -> None:
    factory = _factory(2)
    factory.counter = MAX_COUNTER
    with pytest.raises(InvalidIdentifier, match="counter"):
        factory.next_id()


def test_next_id_of_a_strategy_index_out_of_range_raises_naming_it() -> None:
    with pytest.raises(InvalidIdentifier, match="strategy_index"):
        _factory(MAX_STRATEGY_INDEX + 1).next_id()
