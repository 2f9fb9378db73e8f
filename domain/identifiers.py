"""Identifiers: validated, immutable, hashable and ordered.

Design contract:
- string ids (``TraderId``, ``StrategyId``, ``AccountId``, ``ComponentId``, ``ClientId``,
  ``Symbol``, ``Venue``) are non-empty, hold no whitespace or control characters, and ``str()``
  gives back the text they were built from;
- ``InstrumentId`` is ``SYMBOL.VENUE``: it parses on the LAST '.', so a venue never holds a '.';
- numeric ids are what records store (u8): ``0 <= value < 2**64``; 0 means "none" for
  ``VenueOrderId``, ``TradeId`` and ``PositionId`` and is refused for ``ClientOrderId`` and
  ``OrderListId``; each has a text form (``O-1-7``, ``V-42`` ...) that ``from_str`` parses back;
- ``ClientOrderId.value == strategy_index << 40 | counter`` (strategy_index < 2**23,
  counter < 2**40), so ids are deterministic from the strategy and a counter.
"""

from __future__ import annotations

import re
from typing import ClassVar, Self

import attrs


class InvalidIdentifier(ValueError):
    """An identifier that breaks its format rule; the message names the type and the value."""


_BAD_CHAR = re.compile(r"[\s\x00-\x1f\x7f]")


def _check_text(instance: object, attribute: attrs.Attribute, value: str) -> None:
    name = type(instance).__name__
    if not isinstance(value, str) or value == "":
        raise InvalidIdentifier(f"{name} must be a non-empty str, got {value!r}")
    if _BAD_CHAR.search(value):
        raise InvalidIdentifier(f"{name} must not contain whitespace, got {value!r}")


@attrs.frozen(order=True)
class _TextId:
    value: str = attrs.field(validator=_check_text)

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"


@attrs.frozen(order=True, repr=False)
class TraderId(_TextId):
    """The trader (node) id, e.g. ``TraderId("TRADER-001")``."""


@attrs.frozen(order=True, repr=False)
class StrategyId(_TextId):
    """A strategy id, e.g. ``StrategyId("EMACross-001")``."""


@attrs.frozen(order=True, repr=False)
class AccountId(_TextId):
    """An account id, e.g. ``AccountId("SIM-001")``."""


@attrs.frozen(order=True, repr=False)
class ComponentId(_TextId):
    """A component (engine, actor) id."""


@attrs.frozen(order=True, repr=False)
class ClientId(_TextId):
    """The id of a data or execution client."""


@attrs.frozen(order=True, repr=False)
class Symbol(_TextId):
    """A venue's symbol for an instrument, e.g. ``Symbol("EUR/USD")``; may contain '.'."""


def _check_venue(instance: object, attribute: attrs.Attribute, value: str) -> None:
    _check_text(instance, attribute, value)
    if "." in value:
        raise InvalidIdentifier(f"{type(instance).__name__} must not contain '.', got {value!r}")


@attrs.frozen(order=True, repr=False)
class Venue(_TextId):
    """A trading venue, e.g. ``Venue("SIM")``; never contains '.'."""

    value: str = attrs.field(validator=_check_venue)


def _as_text(value: object) -> object:
    return value.value if isinstance(value, _TextId) else value


@attrs.frozen(order=True)
class InstrumentId:
    """``SYMBOL.VENUE``; ``symbol`` and ``venue`` are plain strings (Symbol / Venue accepted)."""

    symbol: str = attrs.field(converter=_as_text, validator=attrs.validators.instance_of(str))
    venue: str = attrs.field(converter=_as_text, validator=attrs.validators.instance_of(str))

    def __attrs_post_init__(self) -> None:
        Symbol(self.symbol)
        Venue(self.venue)

    @classmethod
    def from_str(cls, text: str) -> InstrumentId:
        """Parses ``SYMBOL.VENUE``, splitting on the last '.'."""
        if not isinstance(text, str) or "." not in text:
            raise InvalidIdentifier(f"InstrumentId must be 'SYMBOL.VENUE', got {text!r}")
        symbol, _, venue = text.rpartition(".")
        return cls(symbol, venue)

    def __str__(self) -> str:
        return f"{self.symbol}.{self.venue}"

    def __repr__(self) -> str:
        return f"InstrumentId('{self}')"


def _check_u8(instance: _NumericId, attribute: attrs.Attribute, value: int) -> None:
    name = type(instance).__name__
    if type(value) is not int or not instance.MIN_VALUE <= value < 2**64:
        raise InvalidIdentifier(
            f"{name} must be an int in {instance.MIN_VALUE}..2**64-1, got {value!r}"
        )


@attrs.frozen(order=True)
class _NumericId:
    PREFIX: ClassVar[str] = ""
    MIN_VALUE: ClassVar[int] = 0

    value: int = attrs.field(validator=_check_u8)

    def __str__(self) -> str:
        return f"{self.PREFIX}-{self.value}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}('{self}')"

    def __int__(self) -> int:
        return self.value

    @classmethod
    def from_str(cls, text: str) -> Self:
        """Parses the text form written by ``str()``."""
        prefix = f"{cls.PREFIX}-"
        digits = text[len(prefix) :] if isinstance(text, str) and text.startswith(prefix) else ""
        if not digits.isdigit() or not digits.isascii():
            raise InvalidIdentifier(f"{cls.__name__} must look like '{prefix}<n>', got {text!r}")
        return cls(int(digits))


@attrs.frozen(order=True, repr=False)
class VenueOrderId(_NumericId):
    """The venue's id of an order; 0 means none. Text form ``V-<n>``."""

    PREFIX: ClassVar[str] = "V"


@attrs.frozen(order=True, repr=False)
class TradeId(_NumericId):
    """A venue trade (fill) id; 0 means none. Text form ``T-<n>``."""

    PREFIX: ClassVar[str] = "T"


@attrs.frozen(order=True, repr=False)
class PositionId(_NumericId):
    """A position id; 0 means none. Text form ``P-<n>``."""

    PREFIX: ClassVar[str] = "P"


@attrs.frozen(order=True, repr=False)
class OrderListId(_NumericId):
    """An order list (contingency group) id, >= 1. Text form ``OL-<n>``."""

    PREFIX: ClassVar[str] = "OL"
    MIN_VALUE: ClassVar[int] = 1


COUNTER_BITS = 40
MAX_STRATEGY_INDEX = 2**23 - 1
MAX_COUNTER = 2**COUNTER_BITS - 1


def _check_client_order_id(instance: object, attribute: attrs.Attribute, value: int) -> None:
    if type(value) is not int or not 0 < value < 2**63:
        raise InvalidIdentifier(f"ClientOrderId must be an int in 1..2**63-1, got {value!r}")


@attrs.frozen(order=True, repr=False)
class ClientOrderId(_NumericId):
    """A strategy-assigned order id: ``strategy_index << 40 | counter``. Text form ``O-<s>-<c>``."""

    value: int = attrs.field(validator=_check_client_order_id)

    @classmethod
    def of(cls, strategy_index: int, counter: int) -> ClientOrderId:
        """Returns the id of the ``counter``-th order of strategy ``strategy_index``."""
        if type(strategy_index) is not int or not 0 <= strategy_index <= MAX_STRATEGY_INDEX:
            raise InvalidIdentifier(
                f"ClientOrderId strategy_index must be in 0..{MAX_STRATEGY_INDEX}, "
                f"got {strategy_index!r}"
            )
        if type(counter) is not int or not 0 <= counter <= MAX_COUNTER:
            raise InvalidIdentifier(
                f"ClientOrderId counter must be in 0..{MAX_COUNTER}, got {counter!r}"
            )
        return cls(strategy_index << COUNTER_BITS | counter)

    @property
    def strategy_index(self) -> int:
        """The index of the strategy that created the order."""
        return self.value >> COUNTER_BITS

    @property
    def counter(self) -> int:
        """The strategy's order counter."""
        return self.value & MAX_COUNTER

    def __str__(self) -> str:
        return f"O-{self.strategy_index}-{self.counter}"

    @classmethod
    def from_str(cls, text: str) -> Self:
        """Parses ``O-<strategy_index>-<counter>``."""
        parts = text.split("-") if isinstance(text, str) else []
        if (
            len(parts) != 3
            or parts[0] != "O"
            or not all(p.isdigit() and p.isascii() for p in parts[1:])
        ):
            raise InvalidIdentifier(
                f"ClientOrderId must look like 'O-<strategy_index>-<counter>', got {text!r}"
            )
        return cls.of(int(parts[1]), int(parts[2]))
