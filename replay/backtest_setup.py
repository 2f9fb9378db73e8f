"""Wiring of a backtest kernel: venues, components in a defined order, and the setup records.

Design contract:
- components register in this order (it is part of the log: component ids are interned in it):
  ``state``: equity sampler, run recorder, cache; ``engines``: data engine, risk engine,
  execution engine, one simulated exchange per venue (in venue name order); ``strategies``: the
  strategies in config order. :func:`register_state` is shared with the replay check, so a
  rebuild over the journal has the same state components;
- setup records (RUN_STARTED + manifest, instrument symbols and INSTRUMENT records, one
  ACCOUNT_STATE per venue and starting currency) are INPUT records stamped with the first data
  ``ts_init``, published before the components start.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from domain.codec import encode
from domain.currencies import Currency
from domain.enums import AccountType, BookLevel, RecordFlag
from domain.instruments import Instrument
from domain.kinds import Kind
from engines.cache import Cache
from engines.emulator import OrderEmulator
from engines.exchange import ConstantLatency, ExchangeConfig, InstrumentRates, SimulatedExchange
from engines.kernel import Kernel
from engines.order_manager import OrderManager
from replay.config import ConfigError, RunConfig, VenueConfig
from replay.equity import EquitySampler
from replay.results import RunRecorder

INPUT = int(RecordFlag.INPUT)


def parse_balance(text: str, where: str = "starting_balances") -> tuple[Currency, int]:
    """Parses ``"1000000 USD"`` (or ``"1000000USD"``) into (currency, raw amount)."""
    t = text.strip().replace(" ", "")
    i = len(t)
    while i and t[i - 1].isalpha():
        i -= 1
    amount, code = t[:i], t[i:]
    try:
        ccy = Currency.from_code(code.upper())
        value = Decimal(amount)
    except (InvalidOperation, ValueError, KeyError):
        raise ConfigError(f"{where}: balance must look like '1000000 USD', got {text!r}") from None
    raw = value.scaleb(ccy.precision)
    if raw != raw.to_integral_value() or raw < 0:
        raise ConfigError(f"{where}: balance {text!r} is negative or has more than "
                          f"{ccy.precision} decimals for {ccy.code}")
    return ccy, int(raw)


def account_name(venue: VenueConfig) -> str:
    return f"{venue.name}-001"


def register_state(kernel: Kernel, venue: VenueConfig, interval_ns: int,
                   memory: RunConfig | None = None) -> tuple[EquitySampler, RunRecorder, Cache]:
    """Registers the ``state`` components (sampler first: it must see the state before the
    cache applies a record) and returns them; ``memory``: what the recorder and the cache keep
    (default :class:`RunConfig`'s bounds)."""
    memory = memory if memory is not None else RunConfig()
    currency = report_currency(venue) if venue.starting_balances else "USD"
    sampler = kernel.register(EquitySampler(account_name(venue), currency, interval_ns))
    recorder = kernel.register(RunRecorder(keep_records=memory.keep_records))
    cache = kernel.register(Cache(order_history=memory.order_history))
    return sampler, recorder, cache  # type: ignore[return-value]


def resolve_venues(venues: tuple[VenueConfig, ...], names: list[str]) -> list[VenueConfig]:
    """Returns one config per venue the instruments trade on, in name order; a venue without a
    config takes the only configured one's settings (error when several are configured)."""
    by_name = {v.name: v for v in venues}
    out = []
    for name in sorted(set(names)):
        cfg = by_name.get(name)
        if cfg is None:
            if len(venues) != 1:
                raise ConfigError(f"venues: no venue named {name!r} (configured: {sorted(by_name)})")
            cfg = VenueConfig(**{**_fields(venues[0]), "name": name})
        out.append(cfg)
    return out


def _fields(v: VenueConfig) -> dict[str, Any]:
    return {a: getattr(v, a) for a in ("name", "account_type", "starting_balances", "book_level",
                                       "oms_type", "leverage", "latency", "fill_model",
                                       "base_currency", "liquidate_on_margin_call", "short_selling",
                                       "fee_rounding")}


def make_exchange(venue: VenueConfig, level: BookLevel, seed: int) -> SimulatedExchange:
    """Returns the simulated exchange of ``venue`` matching at ``level`` (unless configured)."""
    if venue.book_level != "auto":
        level = BookLevel[venue.book_level]
    lat = venue.latency
    return SimulatedExchange(ExchangeConfig(
        venue=venue.name, book_level=level, account=account_name(venue),
        latency=ConstantLatency(submit_ns=lat.submit_ns, modify_ns=lat.modify_ns,
                                cancel_ns=lat.cancel_ns),
        prob_fill_at_limit=venue.fill_model.prob_fill_on_limit,
        fees=InstrumentRates(venue.fee_rounding), seed=seed,
    ))


def publish_instrument(kernel: Kernel, instrument: Instrument, ts_ns: int) -> int:
    """Interns the symbol and publishes its INSTRUMENT record; returns the instrument id."""
    iid = kernel.intern(str(instrument.id))
    rec = encode(Kind.INSTRUMENT, ts_event=ts_ns, ts_init=ts_ns, flags=INPUT,
                 **instrument.to_fields(iid))
    kernel.publish(rec)
    return iid


def publish_accounts(kernel: Kernel, venue: VenueConfig, ts_ns: int) -> None:
    """Publishes the venue account's starting ACCOUNT_STATE, one record per currency, then its
    ACCOUNT_CONFIG when it has a base currency or a leverage other than 1."""
    aid = kernel.intern(account_name(venue))
    atype = AccountType.MARGIN if venue.account_type == "MARGIN" else AccountType.CASH
    for i, text in enumerate(venue.starting_balances):
        ccy, raw = parse_balance(text, f"venues[{venue.name}].starting_balances[{i}]")
        kernel.publish(encode(
            Kind.ACCOUNT_STATE, ts_event=ts_ns, ts_init=ts_ns, flags=INPUT, account_id=aid,
            currency=ccy.packed, account_type=int(atype), balance_total=raw, balance_free=raw))
    base = base_currency(venue)
    if base is not None or venue.leverage != 1.0:
        if not venue.leverage >= 1.0:
            raise ConfigError(f"venues[{venue.name}].leverage must be >= 1, got {venue.leverage}")
        kernel.publish(encode(
            Kind.ACCOUNT_CONFIG, ts_event=ts_ns, ts_init=ts_ns, flags=INPUT, account_id=aid,
            base_currency=base.packed if base is not None else 0, leverage=venue.leverage))


def base_currency(venue: VenueConfig) -> Currency | None:
    """Returns the venue account's base currency: the configured one, else the only starting
    currency (a single-currency account, as NautilusTrader takes it); None for several starting
    currencies and no base (a multi-currency account: nothing is converted)."""
    if venue.base_currency is None:
        codes = sorted({parse_balance(b)[0].code for b in venue.starting_balances})
        return Currency.from_code(codes[0]) if len(codes) == 1 else None
    try:
        return Currency.from_code(venue.base_currency.upper())
    except (KeyError, ValueError):
        raise ConfigError(f"venues[{venue.name}].base_currency: unknown currency "
                          f"{venue.base_currency!r}") from None


def report_currency(venue: VenueConfig) -> str | None:
    """Returns the currency a run reports in: the base currency; None for a multi-currency
    account (figures per currency only)."""
    base = base_currency(venue)
    return base.code if base is not None else None


def register_execution(kernel: Kernel, execution: Any) -> None:
    """Registers the execution engine, then the order manager (contingent orders, after the
    risk engine). ``Kernel.register`` sets an int ``source_id`` attribute,
    which hides ``ExecutionEngine.source_id(ctx)`` (a method): the int moves to the engine's own
    ``_source_id`` so the method answers again (same id)."""
    kernel.register(execution)
    kernel.register(OrderManager())
    kernel.register(OrderEmulator())
    sid = execution.__dict__.pop("source_id", None)
    if sid is not None and hasattr(execution, "_source_id"):
        execution._source_id = sid
