"""Strategy names -> classes, user strategies by ``module:Class``, and ``--param`` parsing.

Design contract:
- built-in names map to the example strategies of :mod:`engines.strategies`;
- ``module:Class`` given by the user (``--strategy``) imports their module (their own code, by
  their choice), looking in the working directory too, as ``python -m`` does;
- a strategy named by a journal's manifest (:func:`journal_strategy`) is untrusted: a built-in
  builds as usual, any other ``module:Class`` is refused with :class:`UntrustedCodeError` unless
  the caller passes ``trust=True`` (``--trust-journal-code``), and even then it is imported from
  ``sys.path`` as it stands, never adding the working directory;
- ``key=value`` params parse as int, then float, then bool (``true`` / ``false``), else str.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from engines.strategy import Strategy


class StrategyLoadError(ValueError):
    """A strategy name, ``module:Class`` spec or parameter cannot be resolved."""


class UntrustedCodeError(StrategyLoadError):
    """A journal names code outside ringbus and the caller did not trust the journal's code."""


BUILTIN: dict[str, str] = {
    "noop": "engines.strategies.noop:Noop",
    "ema_cross": "engines.strategies.ema_cross:EmaCross",
    "market_maker": "engines.strategies.market_maker:MarketMaker",
}


def resolve_strategy(name: str, *, add_cwd: bool = True) -> type[Strategy]:
    """Returns the Strategy subclass named by a built-in ``name`` or ``module:Class``.

    ``add_cwd`` puts the working directory on ``sys.path`` first (for a name the user typed)."""
    spec = BUILTIN.get(name, name)
    module_name, sep, class_name = spec.partition(":")
    if not sep or not module_name or not class_name:
        raise StrategyLoadError(
            f"strategy {name!r}: not a built-in ({sorted(BUILTIN)}) nor module:Class")
    cwd = os.getcwd()
    if add_cwd and cwd not in sys.path:  # like `python -m`: the user's module in the cwd
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise StrategyLoadError(f"strategy {name!r}: cannot import {module_name!r}: {exc}") from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise StrategyLoadError(
            f"strategy {name!r}: {module_name}.{class_name} is not a Strategy subclass")
    return cls


def is_builtin(name: str) -> bool:
    """Returns True when ``name`` is a built-in strategy, by name or by its ``module:Class``."""
    return name in BUILTIN or name in BUILTIN.values()


def build_strategy(name: str, params: dict[str, Any]) -> Strategy:
    """Instantiates the strategy ``name`` (typed by the user) with ``params`` as keywords."""
    return _build(name, resolve_strategy(name), params)


def journal_strategy(name: str, params: dict[str, Any], trust: bool = False,
                     where: str = "the journal") -> Strategy:
    """Instantiates a strategy named by a journal's manifest (see the module contract)."""
    if is_builtin(name):
        return _build(name, resolve_strategy(name, add_cwd=False), params)
    if not trust:
        raise UntrustedCodeError(
            f"{where} names strategy {name!r}, code outside ringbus; importing it would run "
            "that code: give the code yourself with --strategy module:Class, or pass "
            "--trust-journal-code if you trust the journal")
    return _build(name, resolve_strategy(name, add_cwd=False), params)


def _build(name: str, cls: type[Strategy], params: dict[str, Any]) -> Strategy:
    try:
        return cls(**params)
    except TypeError as exc:
        raise StrategyLoadError(f"strategy {name!r}: bad params {params!r}: {exc}") from None


def parse_value(text: str) -> int | float | bool | str:
    """Parses a param value: int, then float, then ``true``/``false``, else the text itself."""
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            continue
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return text


def parse_params(items: list[str]) -> dict[str, Any]:
    """Parses ``["fast=5", "slow=30"]`` into ``{"fast": 5, "slow": 30}``."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise StrategyLoadError(f"--param must be key=value, got {item!r}")
        out[key.strip()] = parse_value(value)
    return out
