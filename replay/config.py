"""Backtest configuration: attrs classes, loaded from Python or a TOML file.

Design contract:
- a config is plain data (str, int, float, bool, lists, dicts): it serialises to canonical JSON,
  whose hash names the run (``config_hash``) — the same config always gives the same hash;
- unknown keys and values of the wrong type are refused with an error naming the key path,
  the value and the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs

from domain.digest import blake2b


class ConfigError(ValueError):
    """A configuration value is missing, unknown or of the wrong type."""


def _choice(*allowed: str):
    def check(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
        if value not in allowed:
            raise ConfigError(f"{attribute.name} must be one of {list(allowed)}, got {value!r}")

    return check


def _at_least_one(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if not isinstance(value, int) or value < 1:
        raise ConfigError(f"{attribute.name} must be an int >= 1, got {value!r}")


def _as_tuple(values: Any) -> tuple[Any, ...]:
    """``tuple(values)`` as a Python function: attrs inspects a converter's signature, and a
    builtin's (``tuple``) is parsed from text, compiling the tokenizer's patterns (about 3 ms
    of every command's start-up)."""
    return tuple(values)


@attrs.frozen
class LatencyConfig:
    """Constant latencies of a simulated venue, in ns (0 = immediate)."""

    submit_ns: int = 0
    modify_ns: int = 0
    cancel_ns: int = 0


@attrs.frozen
class FillModelConfig:
    """Optional probabilistic fills, seeded from the run's seed (1.0 = always fill)."""

    prob_fill_on_limit: float = 1.0
    prob_slippage: float = 0.0


@attrs.frozen
class VenueConfig:
    name: str = "SIM"
    account_type: str = attrs.field(default="MARGIN", validator=_choice("CASH", "MARGIN"))
    starting_balances: tuple[str, ...] = attrs.field(default=("1000000 USD",), converter=_as_tuple)
    book_level: str = attrs.field(default="auto", validator=_choice("auto", "L1", "L2", "L3"))
    oms_type: str = attrs.field(default="NETTING", validator=_choice("NETTING", "HEDGING"))
    leverage: float = 1.0
    latency: LatencyConfig = attrs.field(factory=LatencyConfig)
    fill_model: FillModelConfig = attrs.field(factory=FillModelConfig)
    #: Currency the account reports in (and, for MARGIN, holds its balance and margins in):
    #: amounts in other currencies are converted at journaled rates. None: the only starting
    #: currency; with several starting currencies, none (nothing is converted).
    base_currency: str | None = None
    #: Close every open position of the account at market after a MARGIN_CALL (off by default).
    liquidate_on_margin_call: bool = False
    #: Instruments a CASH account may sell short (beyond what it holds); none by default.
    short_selling: tuple[str, ...] = attrs.field(default=(), converter=_as_tuple)
    fee_rounding: str = attrs.field(default="HALF_AWAY_FROM_ZERO",
                                    validator=_choice("HALF_AWAY_FROM_ZERO", "HALF_EVEN"))
    #: A venue outside the process (the live node's FIX venue): no simulated exchange; its
    #: order events are INPUT records (re-execution sends nothing to it).
    external: bool = False


@attrs.frozen
class InstrumentConfig:
    """An instrument; fields left ``None`` are inferred from the data or take class defaults
    (fees too: an FX pair keeps its 2e-5 maker / taker rates unless the config sets them)."""

    id: str
    instrument_class: str = attrs.field(
        default="FX_PAIR", validator=_choice("FX_PAIR", "EQUITY", "FUTURE", "CRYPTO_PERPETUAL")
    )
    price_precision: int | None = None
    size_precision: int | None = None
    tick_size: str | None = None
    lot_size: str | None = None
    multiplier: str = "1"
    maker_fee: float | None = None
    taker_fee: float | None = None
    margin_init: float = 0.0
    margin_maint: float = 0.0


@attrs.frozen
class DataConfig:
    """One data file; ``instrument_id`` names the instrument of a file that does not.

    ``options`` go to the file's loader (e.g. ``{"size_precision": 7, "round_volume": true}``
    for bars whose volumes carry float noise); an option the loader does not take is refused.
    """

    path: str
    format: str = "auto"
    instrument_id: str | None = None
    bar_spec: str | None = None
    options: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class StrategyConfig:
    """A strategy by built-in name (``ema_cross``) or ``module:Class``, with its parameters."""

    name: str
    params: dict[str, Any] = attrs.field(factory=dict)


#: What a run keeps in memory by default: closed orders in the cache, fill and position records
#: in the results recorder (each table's first N rows); a run longer than that stays flat.
DEFAULT_MEMORY_BOUND = 100_000


def _bound(name: str) -> Any:
    """A converter: ``true`` / None keep all (None); ``false`` none (0); an int >= 0 at most
    that many; anything else is refused naming ``name``."""
    def convert(value: Any) -> int | None:
        if value is None or value is True:
            return None
        if value is False:
            return 0
        if isinstance(value, int) and value >= 0:
            return value
        raise ConfigError(f"{name} must be an int >= 0, true (all) or false (none), "
                          f"got {value!r}")

    return convert


@attrs.frozen
class RunConfig:
    """What the node keeps in memory (``[run]``); neither changes the journal nor the state
    hash, so neither is part of the run's identity (:func:`replay.backtest.hashed_config`).

    - ``order_history``: closed orders the cache keeps (the orders table lists the open ones
      and these; older ones stay in the journal); ``true`` / None keeps all of them;
    - ``keep_records``: fill and position records the results recorder keeps for the fills and
      positions tables (the first N of each; the summary is computed from running sums either
      way); ``false`` keeps none (the tables are then refused), ``true`` / None all of them.
    """

    order_history: int | None = attrs.field(default=DEFAULT_MEMORY_BOUND,
                                             converter=_bound("order_history"))
    keep_records: int | None = attrs.field(default=DEFAULT_MEMORY_BOUND,
                                            converter=_bound("keep_records"))


@attrs.frozen
class BacktestConfig:
    venues: tuple[VenueConfig, ...] = attrs.field(
        factory=lambda: (VenueConfig(),), converter=_as_tuple
    )
    instruments: tuple[InstrumentConfig, ...] = attrs.field(factory=tuple, converter=_as_tuple)
    data: tuple[DataConfig, ...] = attrs.field(factory=tuple, converter=_as_tuple)
    strategies: tuple[StrategyConfig, ...] = attrs.field(factory=tuple, converter=_as_tuple)
    risk: dict[str, Any] = attrs.field(factory=dict)
    seed: int = 0
    journal: str | None = None
    durability: str = attrs.field(default="none", validator=_choice("none", "batch", "sync"))
    snapshot_every: int = 0
    snapshot_interval_ns: int = 0
    equity_interval_ns: int = 60_000_000_000
    #: Trading days a year that annualise the daily returns' Sharpe / Sortino (sqrt(252)).
    days_per_year: int = attrs.field(default=252, validator=_at_least_one)
    run: RunConfig = attrs.field(factory=RunConfig)

    def to_json(self) -> str:
        """Returns the canonical JSON of this config (sorted keys, no whitespace)."""
        return json.dumps(attrs.asdict(self), sort_keys=True, separators=(",", ":"))

    def config_hash(self) -> int:
        """Returns a 64-bit blake2b hash of the canonical JSON."""
        digest = blake2b(self.to_json().encode(), digest_size=8).digest()
        return int.from_bytes(digest, "little")


_NESTED = {
    "venues": VenueConfig,
    "instruments": InstrumentConfig,
    "data": DataConfig,
    "strategies": StrategyConfig,
}
_VENUE_NESTED = {"latency": LatencyConfig, "fill_model": FillModelConfig}


def _build(cls: type, values: dict[str, Any], where: str) -> Any:
    known = {a.name for a in attrs.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {sorted(known)})")
    try:
        return cls(**values)
    except (TypeError, ConfigError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def config_from_dict(values: dict[str, Any], where: str = "config") -> BacktestConfig:
    """Builds a BacktestConfig from plain data (as parsed from TOML or JSON)."""
    values = dict(values)
    for key, cls in _NESTED.items():
        items = values.get(key, [])
        if not isinstance(items, list):
            raise ConfigError(f"{where}: {key} must be a list of tables, got {items!r}")
        built = []
        for i, item in enumerate(items):
            item = dict(item)
            if cls is VenueConfig:
                for sub, sub_cls in _VENUE_NESTED.items():
                    if sub in item:
                        item[sub] = _build(sub_cls, item[sub], f"{where}: {key}[{i}].{sub}")
            built.append(_build(cls, item, f"{where}: {key}[{i}]"))
        if key in values:
            values[key] = built
    if "run" in values:
        if not isinstance(values["run"], dict):
            raise ConfigError(f"{where}: run must be a table, got {values['run']!r}")
        values["run"] = _build(RunConfig, values["run"], f"{where}: run")
    return _build(BacktestConfig, values, where)


def read_toml(path: str | Path, what: str = "config file") -> dict[str, Any]:
    """Returns the parsed TOML of ``path``; errors name the file."""
    import tomllib  # only a command given a config file reads TOML

    path = Path(path)
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such {what}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def load_toml(path: str | Path) -> BacktestConfig:
    """Loads a TOML config file; errors name the file."""
    return config_from_dict(read_toml(path), where=str(path))
