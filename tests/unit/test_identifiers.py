"""Unit tests for identifiers."""

from __future__ import annotations

import pytest

from domain.identifiers import (
    AccountId,
    ClientId,
    ClientOrderId,
    ComponentId,
    InstrumentId,
    InvalidIdentifier,
    OrderListId,
    PositionId,
    StrategyId,
    Symbol,
    TradeId,
    TraderId,
    Venue,
    VenueOrderId,
)

TEXT_IDS = [TraderId, StrategyId, AccountId, ComponentId, ClientId, Symbol, Venue]
NUMERIC_IDS = [(VenueOrderId, "V"), (TradeId, "T"), (PositionId, "P"), (OrderListId, "OL")]


@pytest.mark.parametrize("cls", TEXT_IDS)
def test_text_ids_round_trip_through_str(cls: type) -> None:
    assert str(cls("ABC-001")) == "ABC-001"
    assert cls("ABC-001") == cls("ABC-001")
    assert hash(cls("ABC-001")) == hash(cls("ABC-001"))


@pytest.mark.parametrize("cls", TEXT_IDS)
@pytest.mark.parametrize("bad", ["", "A B", "A\tB", "A\n", "\x00X"])
def test_text_ids_refuse_empty_and_whitespace_naming_the_value(cls: type, bad: str) -> None:
    with pytest.raises(InvalidIdentifier, match=cls.__name__) as info:
        cls(bad)
    assert repr(bad) in str(info.value)


def test_text_ids_refuse_non_strings() -> None:
    with pytest.raises(InvalidIdentifier, match="42"):
        TraderId(42)  # type: ignore[arg-type]


def test_text_ids_of_different_types_are_not_equal_and_sort_within_a_type() -> None:
    assert TraderId("X") != StrategyId("X")
    assert sorted([StrategyId("b"), StrategyId("a")]) == [StrategyId("a"), StrategyId("b")]


def test_instrument_id_splits_on_the_last_dot() -> None:
    iid = InstrumentId.from_str("BRK.B.NYSE")
    assert (iid.symbol, iid.venue) == ("BRK.B", "NYSE")
    assert str(iid) == "BRK.B.NYSE"
    assert InstrumentId.from_str("EUR/USD.SIM") == InstrumentId("EUR/USD", "SIM")


def test_instrument_id_accepts_symbol_and_venue_objects() -> None:
    assert InstrumentId(Symbol("ESZ4"), Venue("GLBX")) == InstrumentId("ESZ4", "GLBX")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["EURUSD", ".SIM", "EUR/USD.", "EUR USD.SIM", ""])
def test_instrument_id_refuses_malformed_text(bad: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        InstrumentId.from_str(bad)
    message = str(info.value)
    assert repr(bad) in message or repr(bad.rpartition(".")[0]) in message or "''" in message


def test_venue_refuses_a_dot() -> None:
    with pytest.raises(InvalidIdentifier, match="'A.B'"):
        Venue("A.B")


def test_client_order_id_packs_strategy_index_and_counter() -> None:
    cid = ClientOrderId.of(3, 17)
    assert cid.value == 3 << 40 | 17
    assert (cid.strategy_index, cid.counter) == (3, 17)
    assert str(cid) == "O-3-17"
    assert ClientOrderId.from_str("O-3-17") == cid
    assert repr(cid) == "ClientOrderId('O-3-17')"


def test_client_order_id_bounds() -> None:
    top = ClientOrderId.of(2**23 - 1, 2**40 - 1)
    assert top.value == 2**63 - 1
    with pytest.raises(InvalidIdentifier, match=str(2**23)):
        ClientOrderId.of(2**23, 1)
    with pytest.raises(InvalidIdentifier, match=str(2**40)):
        ClientOrderId.of(0, 2**40)
    with pytest.raises(InvalidIdentifier, match="got 0"):
        ClientOrderId(0)
    with pytest.raises(InvalidIdentifier, match=str(2**63)):
        ClientOrderId(2**63)


@pytest.mark.parametrize("bad", ["O-1", "O-1-2-3", "X-1-2", "O--1-2", "O-a-2", "O-1-٣"])
def test_client_order_id_from_str_refuses_malformed_text(bad: str) -> None:
    with pytest.raises(InvalidIdentifier, match=repr(bad)):
        ClientOrderId.from_str(bad)


@pytest.mark.parametrize(("cls", "prefix"), NUMERIC_IDS)
def test_numeric_ids_round_trip_through_str(cls: type, prefix: str) -> None:
    ident = cls(2**64 - 1)
    assert str(ident) == f"{prefix}-{2**64 - 1}"
    assert cls.from_str(str(ident)) == ident
    assert int(cls(5)) == 5


@pytest.mark.parametrize(("cls", "prefix"), NUMERIC_IDS)
@pytest.mark.parametrize("bad", [-1, 2**64, 1.0, "1"])
def test_numeric_ids_refuse_out_of_range_values(cls: type, prefix: str, bad: object) -> None:
    with pytest.raises(InvalidIdentifier, match=repr(bad).replace(".", r"\.")):
        cls(bad)


@pytest.mark.parametrize("cls", [VenueOrderId, TradeId, PositionId])
def test_zero_means_none_for_venue_trade_and_position_ids(cls: type) -> None:
    assert cls(0).value == 0


def test_order_list_id_refuses_zero() -> None:
    with pytest.raises(InvalidIdentifier, match="OrderListId.*got 0"):
        OrderListId(0)


@pytest.mark.parametrize(("cls", "prefix"), NUMERIC_IDS)
@pytest.mark.parametrize("bad", ["", "1", "X-1", "-1", "V-", "V-1a", "V--1"])
def test_numeric_id_from_str_refuses_malformed_text(cls: type, prefix: str, bad: str) -> None:
    text = bad.replace("V", prefix)
    with pytest.raises(InvalidIdentifier, match=repr(text)):
        cls.from_str(text)


def test_numeric_ids_of_different_types_are_not_equal() -> None:
    assert VenueOrderId(1) != TradeId(1)
    assert sorted([PositionId(3), PositionId(1)]) == [PositionId(1), PositionId(3)]
