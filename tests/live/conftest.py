"""The live test venue: QuickFIX's ordermatch, started per test on a free 127.0.0.1 port."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from adapters.fix.capabilities import VenueCapabilities
from adapters.fix.client import FixExecutionClient
from adapters.fix.session import FixSession
from adapters.fix.store import SessionJournal
from adapters.fix.venue import SETUP_SCRIPT, OrdermatchVenue, find_ordermatch
from journal import Journal, JournalReader
from tests.live.fixclient import LiquidityClient

CLIENTS = ["RINGBUS", "LIQUIDITY"]


def ordermatch_folder() -> Path:
    """Returns where ordermatch is installed; skips the test when it is not (fails under CI)."""
    folder = find_ordermatch()
    if folder is None:
        message = f"ordermatch test venue not installed: run {SETUP_SCRIPT} (as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return folder


@pytest.fixture
def ordermatch(tmp_path: Path) -> Iterator[OrdermatchVenue]:
    """A running ordermatch accepting CompIDs RINGBUS and LIQUIDITY; skips when not installed."""
    with OrdermatchVenue(ordermatch_folder(), tmp_path / "venue", CLIENTS) as venue:
        yield venue


PASSWORD = "s3cret-hunter2-password"


class LiveRig:
    """A journaled FIX session + execution client against ordermatch, restartable on one journal."""

    def __init__(self, venue: OrdermatchVenue, journal_path: Path, capabilities=None) -> None:
        self.venue, self.journal_path = venue, journal_path
        self.capabilities = capabilities or VenueCapabilities()
        self.session: FixSession | None = None
        self.client: FixExecutionClient | None = None

    def start(self, heartbeat_s: int = 30) -> FixExecutionClient:
        journal = SessionJournal(self.journal_path)
        self.session = FixSession(journal, "127.0.0.1", self.venue.port, "RINGBUS", "ORDERMATCH",
                                  heartbeat_s=heartbeat_s, password=PASSWORD)
        self.client = FixExecutionClient(self.session, self.capabilities)
        self.session.start()
        return self.client

    def stop(self) -> None:
        if self.session is not None:
            self.session.stop()
            self.session.journal.close()
            self.session = None

    def events(self, kind: int) -> np.ndarray:
        """Returns the journaled records of ``kind`` (reads the journal: call after stop)."""
        with Journal.open(self.journal_path) as journal:
            records = JournalReader(journal).records_between()
        return records[records["kind"] == kind]


def wait_until(predicate, timeout_s: float = 10.0, what: str = "condition") -> None:
    """Polls ``predicate`` until true; fails the test after ``timeout_s`` naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f"{what} not met in {timeout_s} s")


@pytest.fixture
def rig(ordermatch: OrdermatchVenue, tmp_path: Path) -> Iterator[LiveRig]:
    """A LiveRig on a fresh journal; stopped at teardown."""
    live = LiveRig(ordermatch, tmp_path / "journal")
    yield live
    live.stop()


@pytest.fixture
def liquidity(ordermatch: OrdermatchVenue) -> Iterator[LiquidityClient]:
    """The other side of the book, logged on as LIQUIDITY."""
    client = LiquidityClient(ordermatch.port)
    yield client
    client.close()
