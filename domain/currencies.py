"""Currencies: a code (1-4 of A-Z / 0-9), a precision (decimal places) and a name.

Design contract:
- the built-in table holds ISO 4217 fiat currencies with their ISO minor units and common crypto
  assets at 8 decimals; ``Currency.register`` adds custom ones;
- a code maps to exactly one precision for the life of the process: re-registering it with another
  precision raises; lookups never invent a currency (unknown codes raise ``UnknownCurrency``);
- records store a currency as the u4 of :func:`domain.values.pack_currency` (``currency.packed``).
"""

from __future__ import annotations

import attrs

from domain.values import (
    MAX_PRECISION,
    InvalidValue,
    PrecisionError,
    pack_currency,
    unpack_currency,
)


class UnknownCurrency(InvalidValue):
    """A currency code (or packed u4) that is neither built in nor registered."""


def _check_code(_: object, __: attrs.Attribute, code: str) -> None:
    if code == "":
        raise InvalidValue("currency code must not be empty, got ''")
    pack_currency(code)


def _check_precision(_: object, __: attrs.Attribute, precision: int) -> None:
    if type(precision) is not int or not 0 <= precision <= MAX_PRECISION:
        raise PrecisionError(
            f"currency precision must be an int in 0..{MAX_PRECISION}, got {precision!r}"
        )


@attrs.frozen(order=False)
class Currency:
    """A currency; ``precision`` is the number of decimals its amounts carry."""

    code: str = attrs.field(validator=_check_code)
    precision: int = attrs.field(validator=_check_precision)
    name: str = attrs.field(default="", eq=False)

    @property
    def packed(self) -> int:
        """The u4 that records store for this currency (computed once per code)."""
        packed = _PACKED.get(self.code)
        if packed is None:
            packed = _PACKED[self.code] = pack_currency(self.code)
        return packed

    def __str__(self) -> str:
        return self.code

    @staticmethod
    def from_code(code: str) -> Currency:
        """Returns the built-in or registered currency ``code``; raises ``UnknownCurrency``."""
        try:
            return _REGISTRY[code]
        except (KeyError, TypeError):
            raise UnknownCurrency(f"unknown currency code {code!r}") from None

    @staticmethod
    def from_packed(value: int) -> Currency:
        """Returns the currency whose packed u4 is ``value`` (as read from a record).

        Answers are remembered per u4: a registered code never changes its currency.
        """
        found = _BY_PACKED.get(value)
        if found is None:
            found = Currency.from_code(unpack_currency(value))
            _BY_PACKED[value] = found
        return found

    @staticmethod
    def is_known(code: str) -> bool:
        """Returns True when ``code`` is built in or registered."""
        return code in _REGISTRY

    @staticmethod
    def register(code: str, precision: int, name: str = "") -> Currency:
        """Adds a custom currency and returns it; the same code and precision return the existing
        one, a different precision for a known code raises ``PrecisionError``."""
        currency = Currency(code, precision, name)
        known = _REGISTRY.get(code)
        if known is not None:
            if known.precision != precision:
                raise PrecisionError(
                    f"currency {code} is already registered with precision {known.precision}, "
                    f"got {precision}"
                )
            return known
        _REGISTRY[code] = currency
        return currency


# ISO 4217 minor units for fiat; crypto at 8 decimals (the usual venue precision).
_FIAT: tuple[tuple[str, int, str], ...] = (
    ("AED", 2, "UAE dirham"),
    ("AUD", 2, "Australian dollar"),
    ("BRL", 2, "Brazilian real"),
    ("CAD", 2, "Canadian dollar"),
    ("CHF", 2, "Swiss franc"),
    ("CLP", 0, "Chilean peso"),
    ("CNH", 2, "Chinese yuan (offshore)"),
    ("CNY", 2, "Chinese yuan"),
    ("CZK", 2, "Czech koruna"),
    ("DKK", 2, "Danish krone"),
    ("EUR", 2, "Euro"),
    ("GBP", 2, "British pound"),
    ("HKD", 2, "Hong Kong dollar"),
    ("HUF", 2, "Hungarian forint"),
    ("IDR", 2, "Indonesian rupiah"),
    ("ILS", 2, "Israeli new shekel"),
    ("INR", 2, "Indian rupee"),
    ("ISK", 0, "Icelandic krona"),
    ("JPY", 0, "Japanese yen"),
    ("KRW", 0, "South Korean won"),
    ("KWD", 3, "Kuwaiti dinar"),
    ("MXN", 2, "Mexican peso"),
    ("NOK", 2, "Norwegian krone"),
    ("NZD", 2, "New Zealand dollar"),
    ("PLN", 2, "Polish zloty"),
    ("RUB", 2, "Russian ruble"),
    ("SAR", 2, "Saudi riyal"),
    ("SEK", 2, "Swedish krona"),
    ("SGD", 2, "Singapore dollar"),
    ("THB", 2, "Thai baht"),
    ("TRY", 2, "Turkish lira"),
    ("TWD", 2, "New Taiwan dollar"),
    ("USD", 2, "United States dollar"),
    ("ZAR", 2, "South African rand"),
)
_CRYPTO: tuple[tuple[str, str], ...] = (
    ("ADA", "Cardano"),
    ("AVAX", "Avalanche"),
    ("BCH", "Bitcoin Cash"),
    ("BNB", "Binance Coin"),
    ("BTC", "Bitcoin"),
    ("DOGE", "Dogecoin"),
    ("DOT", "Polkadot"),
    ("ETH", "Ether"),
    ("LINK", "Chainlink"),
    ("LTC", "Litecoin"),
    ("SOL", "Solana"),
    ("TRX", "Tron"),
    ("USDC", "USD Coin"),
    ("USDT", "Tether"),
    ("XBT", "Bitcoin (XBT)"),
    ("XRP", "Ripple"),
)

#: Memo of ``Currency.packed`` per code and of ``Currency.from_packed`` per u4 (hot paths: every
#: ACCOUNT_STATE and fill reads a currency).
_PACKED: dict[str, int] = {}
_BY_PACKED: dict[int, Currency] = {}
_REGISTRY: dict[str, Currency] = {code: Currency(code, p, name) for code, p, name in _FIAT}
_REGISTRY.update({code: Currency(code, 8, name) for code, name in _CRYPTO})

USD = _REGISTRY["USD"]
EUR = _REGISTRY["EUR"]
GBP = _REGISTRY["GBP"]
JPY = _REGISTRY["JPY"]
BTC = _REGISTRY["BTC"]
ETH = _REGISTRY["ETH"]
USDT = _REGISTRY["USDT"]
