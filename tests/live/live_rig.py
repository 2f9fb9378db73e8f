"""The live node against ordermatch, for the tests: config, quotes and waiting helpers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from domain.codec import encode
from domain.kinds import Kind
from journal import Journal, JournalReader
from tests.live.conftest import wait_until  # noqa: F401 - the live node tests' import point

ROOT = Path(__file__).resolve().parents[2]
SYMBOL = "MSFT.ORDERMATCH"
PASSWORD_ENV = "RINGBUS_TEST_FIX_PASSWORD"
PASSWORD = "s3cret-node-hunter2-pw"


def live_raw(port: int, journal: Path, steps: list[dict[str, Any]] | None = None,
             **live: Any) -> dict[str, Any]:
    """A live config (TOML shape) trading MSFT at ordermatch on ``port``."""
    raw: dict[str, Any] = {
        "journal": str(journal),
        "venues": [{"name": "ORDERMATCH", "account_type": "CASH",
                    "starting_balances": ["1000000 USD"]}],
        "instruments": [{"id": SYMBOL, "instrument_class": "EQUITY", "price_precision": 2,
                         "size_precision": 0}],
        "fix": {"venue": "ORDERMATCH", "host": "127.0.0.1", "port": port, "sender": "RINGBUS",
                "target": "ORDERMATCH", "heartbeat_s": 30, "password_env": PASSWORD_ENV},
        "live": {"stop_grace_s": 3.0, **live},
    }
    if steps is not None:
        raw["strategies"] = [{"name": "tests.live.live_strategies:ScriptedOrders",
                              "params": {"instrument": SYMBOL, "steps": steps}}]
    return raw


def quote(iid: int, bid: str, ask: str, size: int = 1000) -> np.ndarray:
    """A QUOTE record (prices with 2 decimals) for the kernel's instrument ``iid``."""
    return encode(Kind.QUOTE, instrument_id=iid, price_precision=2, size_precision=0,
                  bid=round(float(bid) * 100), ask=round(float(ask) * 100), bid_size=size,
                  ask_size=size)


def journal_records(path: str | Path) -> np.ndarray:
    with Journal.open(path) as journal:
        return JournalReader(journal).records_between()


def cli(*args: str) -> subprocess.CompletedProcess:
    """Runs ``ringbus`` (``python -m replay.cli``) on this worktree's code."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "replay.cli", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))


def write_toml(raw: dict[str, Any], path: Path) -> Path:
    """Writes a live config (:func:`live_raw`'s shape) as TOML."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in raw.items() if not isinstance(v, (dict, list))]
    for key, value in raw.items():
        if isinstance(value, list):
            for item in value:
                lines += [f"[[{key}]]", *(f"{k} = {_toml_value(v)}" for k, v in item.items())]
        elif isinstance(value, dict):
            lines.append(f"[{key}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in value.items()]
    path.write_text("\n".join(lines) + "\n")
    return path
