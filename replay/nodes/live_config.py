"""The live node's config: a backtest config (venues, instruments, strategies, risk, seed,
journal, durability) plus a ``[fix]`` table (the venue's session and capabilities) and a
``[live]`` table (how the node stops, its heartbeats).

Design contract:
- the FIX venue (``fix.venue``) must be one of ``venues`` and is marked ``external``: the kernel
  gets no simulated exchange for it; its instruments must give price and size precisions (no
  data file infers them);
- durability defaults to ``batch``; ``none`` is refused (a live journal is the session's
  record of what was sent);
- the password never enters the config the run is hashed from or any record: it comes from
  ``fix.password_env`` (an environment variable's name) or ``fix.password_file`` (a path), read
  by :func:`read_password`; a literal ``fix.password`` is refused;
- ``live.wait`` (``blocking`` default, ``yielding``, ``busy-spin``) and ``live.spin_us`` choose
  how the node thread waits for its inbox (:mod:`replay.nodes.wait`); neither is part of the
  run's config hash: they change latency, never a record;
- ``live.sync_commit`` (``durability = "sync"`` only) chooses how a commit reaches the disk:
  ``ordered`` (default) is LMDB's synchronous commit (data pages flushed, then the meta page:
  an OS crash loses nothing committed and never damages a page); ``single`` is one
  fdatasync per commit, fsynced apart from it while the order's FIX message is built (faster:
  about 0.4 ms less per order on this project's disk; an OS crash inside that flush may damage
  the last pages, which verify reports). Not part of the config hash either;
- errors are :class:`replay.config.ConfigError` naming the key and the value.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs

from adapters.fix.capabilities import VenueCapabilities
from replay.config import BacktestConfig, ConfigError, config_from_dict
from replay.nodes.wait import WaitStrategy

_FIX_KEYS = {"venue", "host", "port", "sender", "target", "heartbeat_s", "password_env",
             "password_file", "capabilities", "logon_timeout_s"}
_LIVE_KEYS = {"cancel_all_on_stop", "stop_grace_s", "heartbeat_interval_s", "wait", "spin_us",
              "sync_commit"}


@attrs.frozen
class FixConfig:
    """The FIX session of the live node's venue."""

    venue: str
    host: str
    port: int
    sender: str
    target: str
    heartbeat_s: int = 30
    password_env: str | None = None
    password_file: str | None = None
    #: how long the start waits for the venue's Logon (the node journals nothing before it)
    logon_timeout_s: float = 10.0
    capabilities: VenueCapabilities = attrs.field(factory=VenueCapabilities)


@attrs.frozen
class LiveOptions:
    """How the node stops and what it journals besides inputs."""

    cancel_all_on_stop: bool = True
    stop_grace_s: float = 5.0
    heartbeat_interval_s: float = 0.0
    #: how the node thread waits for inputs (:data:`replay.nodes.wait.WAITS`)
    wait: str = "blocking"
    #: how long ``yielding`` / ``busy-spin`` poll before blocking (microseconds)
    spin_us: float = 2000.0
    #: ``durability = "sync"``: ``ordered`` (LMDB's synchronous commit) or ``single`` (one
    #: fdatasync apart from the commit; see the module contract)
    sync_commit: str = "ordered"

    def __attrs_post_init__(self) -> None:
        if self.sync_commit not in ("ordered", "single"):
            raise ValueError(f"live.sync_commit must be 'ordered' or 'single', got "
                             f"{self.sync_commit!r}")

    def wait_strategy(self) -> WaitStrategy:
        """Returns the node thread's :class:`replay.nodes.wait.WaitStrategy`."""
        return WaitStrategy(self.wait, self.spin_us)


@attrs.frozen
class LiveConfig:
    backtest: BacktestConfig
    fix: FixConfig
    live: LiveOptions


def live_config(raw: dict[str, Any], where: str = "live config") -> LiveConfig:
    """Splits and checks a live config (see the module contract)."""
    values = dict(raw)
    fix_raw = values.pop("fix", None)
    live_raw = dict(values.pop("live", {}))
    if not isinstance(fix_raw, dict):
        raise ConfigError(f"{where}: no [fix] table")
    if "password" in fix_raw:
        raise ConfigError(f"{where}: fix.password: a password never goes in the config; name "
                          "an environment variable (fix.password_env) or a file "
                          "(fix.password_file)")
    unknown = sorted(set(fix_raw) - _FIX_KEYS) or sorted(set(live_raw) - _LIVE_KEYS)
    if unknown:
        table = "fix" if set(fix_raw) - _FIX_KEYS else "live"
        raise ConfigError(f"{where}: {table}: unknown key {unknown[0]!r}")
    for key in ("venue", "host", "port", "sender", "target"):
        if key not in fix_raw:
            raise ConfigError(f"{where}: fix.{key} is required")
    if values.get("data"):
        raise ConfigError(f"{where}: data must be empty (a live node's data is its inputs)")
    values.setdefault("durability", "batch")
    if values["durability"] == "none":
        raise ConfigError(f"{where}: durability 'none' is refused for a live node "
                          "(use 'batch' or 'sync')")
    venue = str(fix_raw["venue"])
    venues = [dict(v) for v in values.get("venues", [])]
    if not any(v.get("name") == venue for v in venues):
        raise ConfigError(f"{where}: fix.venue {venue!r} is not among venues "
                          f"{[v.get('name') for v in venues]}")
    for v in venues:
        if v.get("name") == venue:
            v["external"] = True
    values["venues"] = venues
    backtest = config_from_dict(values, where)
    for inst in backtest.instruments:
        if inst.price_precision is None or inst.size_precision is None:
            raise ConfigError(f"{where}: instruments[{inst.id}]: price_precision and "
                              "size_precision are required for a live node")
    if not backtest.instruments:
        raise ConfigError(f"{where}: instruments: a live node needs at least one")
    try:
        caps = VenueCapabilities.from_config(fix_raw.get("capabilities", {}))
        fix = FixConfig(**{**fix_raw, "port": int(fix_raw["port"]), "capabilities": caps})
        live = LiveOptions(**live_raw)
        live.wait_strategy()  # checks the name and the budget
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return LiveConfig(backtest, fix, live)


def read_password(fix: FixConfig) -> str | None:
    """Returns the session password from the environment or its file (None: no password);
    ConfigError names the variable or file that is missing."""
    if fix.password_env is not None:
        value = os.environ.get(fix.password_env)
        if value is None:
            raise ConfigError(f"fix.password_env: environment variable {fix.password_env} "
                              "is not set")
        return value
    if fix.password_file is not None:
        try:
            return Path(fix.password_file).expanduser().read_text().strip()
        except OSError as exc:
            raise ConfigError(f"fix.password_file: {exc}") from None
    return None
