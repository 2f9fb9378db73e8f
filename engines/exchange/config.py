"""The simulated exchange's configuration (one venue)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from domain.enums import BookLevel
from engines.exchange.fees import FeeModel, InstrumentRates
from engines.exchange.latency import ConstantLatency, LatencyModel


def _positive(instance: object, attribute: attrs.Attribute, value: int) -> None:
    if value < 1:
        raise ValueError(f"{attribute.name} must be >= 1, got {value}")


@attrs.frozen
class ExchangeConfig:
    """How one simulated venue matches, charges and delays.

    - ``book_level``: the data granularity matched against (L1 quotes, L2 or L3 books);
    - ``nominal_l1_sizes``: on L1, quote sizes are taken as nominal and an order fills whole at
      the touch (True), or only up to the displayed size (False);
    - ``stop_trigger_on_quotes``: stops trigger on trades always, and also on quotes (buy stop
      when ask >= trigger, sell stop when bid <= trigger) when True — for quote-only data;
    - ``stop_fill_at_trigger``: a stop-market triggered by a quote that gapped through its
      trigger fills whole at the trigger price (NautilusTrader's L1 behaviour, for parity runs)
      instead of at the touch (False, the default: a price the market quoted);
    - ``prob_fill_at_limit`` / ``seed``: the seeded fill model for trades exactly at a resting
      limit's price (L1 / L2; L3 uses the queue);
    - ``view``: ``ctx -> VenueState``; None reads ``ctx.cache``.
    """

    venue: str
    book_level: BookLevel = BookLevel.L1
    account: str = ""
    latency: LatencyModel = attrs.field(factory=ConstantLatency)
    fees: FeeModel = attrs.field(factory=InstrumentRates)
    nominal_l1_sizes: bool = True
    stop_trigger_on_quotes: bool = True
    stop_fill_at_trigger: bool = False
    prob_fill_at_limit: float = 0.0
    seed: int = 0
    depth: int = attrs.field(default=64, validator=_positive)
    view: Callable[[Any], Any] | None = None

    def __attrs_post_init__(self) -> None:
        if not self.venue:
            raise ValueError("venue must be a non-empty string, got ''")
        object.__setattr__(self, "book_level", BookLevel(self.book_level))

    @property
    def account_name(self) -> str:
        """The account id used on fills when the order carries none (default ``VENUE-001``)."""
        return self.account or f"{self.venue}-001"
