"""The live node against ordermatch, for the tests: config, quotes and waiting helpers."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from domain.codec import encode
from domain.kinds import Kind
from journal import Journal, JournalReader

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


def wait_until(predicate, timeout_s: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f"{what} not met in {timeout_s} s")
